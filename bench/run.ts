/** `npm run bench`: every benchmark of the project, printed as a table and saved as JSON. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchChatRender } from './chatRender';
import { benchChatViewLayout } from './chatViewLayout';
import { benchHostEventLoop } from './hostEventLoop';
import { benchIndexing } from './indexing';
import { benchIndexWorkspace } from './indexWorkspace';
import { benchRetrievalQuality } from './retrievalQuality';
import { benchScale } from './scale';
import { benchFirstToken } from './firstToken';
import { benchMemory } from './memory';
import { benchAttachmentStop } from './attachmentStop';
import { benchStopLatency } from './stopLatency';
import { benchServerStop } from './serverStop';
import { benchServerConcurrency } from './serverConcurrency';
import { benchServerIndexing } from './serverIndexing';
import { benchFaults } from './faults';
import { benchActivation } from './activation';
import { benchMcp } from './mcp';
import type { Figure } from './stats';

async function main(): Promise<void> {
  const figures: Figure[] = [];
  figures.push(...(await benchRetrievalQuality()));
  figures.push(...(await benchIndexing()));
  figures.push(...(await benchScale()));
  figures.push(...(await benchFirstToken()));
  figures.push(...(await benchMemory()));
  figures.push(...(await benchAttachmentStop()));
  figures.push(...(await benchStopLatency(Number(process.env.BENCH_STOPS ?? 40))));
  figures.push(...(await benchServerStop(Number(process.env.BENCH_SERVER_STOPS ?? 20))));
  figures.push(...(await benchServerConcurrency()));
  figures.push(...(await benchServerIndexing()));
  figures.push(...(await benchFaults()));
  figures.push(...(await benchMcp()));
  figures.push(...(await benchHostEventLoop()));
  figures.push(...(await benchIndexWorkspace()));
  figures.push(...(await benchActivation()));
  figures.push(...(await benchChatViewLayout()));
  figures.push(...(await benchChatRender()));

  console.log(`\nLocal RAG benchmarks — ${os.cpus().length} cores, Node ${process.versions.node}, ${new Date().toISOString()}`);
  for (const figure of figures) {
    const value = Number.isFinite(figure.value) ? figure.value.toFixed(2) : String(figure.value);
    const target = figure.target ? `  (target ${figure.target})` : '';
    console.log(`  ${figure.name}: ${value} ${figure.unit}${target}`);
    if (figure.detail) console.log(`      ${figure.detail}`);
  }
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), figures }, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
