/**
 * One writer process for the store concurrency tests: the real WorkspaceIndex on a store
 * folder that other processes write and read at the same time. Each round it writes new
 * files, indexes them, and now and then removes one of its earlier files; after each round
 * it tells the parent what it reported indexed and removed, then 'done' at the end (after
 * its last round, or the round under way when the parent sends 'stop').
 *
 *   storeWriter.ts <store> <docs folder> <name> <rounds> <files per round> [pause between rounds, ms]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RequestToken } from '../../src/pipeline/cancellation';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';

const [store, docs, name, rounds, perRound, pause = '0'] = process.argv.slice(2);

export interface WriterRound {
  name: string;
  round: number;
  indexed: string[];
  removed: string[];
  /** Warnings and errors the index logged (a writer racing another must log none). */
  problems: string[];
}

/** The word that only this file holds, to find it by search. */
export function markerOf(displayPath: string): string {
  return `marker${displayPath.replace(/[^a-z0-9]/gi, '')}`;
}

if (require.main === module) {
  void (async () => {
    const problems: string[] = [];
    const index = await WorkspaceIndex.open(store, { log: (level, message) => level !== 'info' && level !== 'trace' && problems.push(`${level}: ${message}`) });
    fs.mkdirSync(docs, { recursive: true });
    const mine: string[] = [];
    let stopped = false;
    process.on('message', (message) => (stopped ||= message === 'stop'));
    for (let round = 0; round < Number(rounds) && !stopped; round++) {
      const files = Array.from({ length: Number(perRound) }, (_, i) => {
        const displayPath = `${name}-r${round}-f${i}.md`;
        const absPath = path.join(docs, displayPath);
        fs.writeFileSync(absPath, `# ${name} round ${round}\n\nThis file holds ${markerOf(displayPath)} and some shared words: lighthouse harbour tide.\n`);
        return { absPath, displayPath };
      });
      const report = await index.indexFiles(files, new RequestToken(`${name}-${round}`));
      if (report.failed.length || report.cancelled) problems.push(`round ${round}: ${JSON.stringify(report)}`);
      mine.push(...files.map((file) => file.displayPath));
      const removed: string[] = [];
      if (round % 3 === 2) {
        const gone = mine.splice(0, 1);
        await index.removeFiles(gone);
        removed.push(...gone);
      }
      const message: WriterRound = { name, round, indexed: files.map((file) => file.displayPath), removed, problems: problems.splice(0) };
      process.send?.(message);
      await new Promise((resolve) => setTimeout(resolve, Number(pause)));
    }
    await index.close();
    process.send?.('done', () => process.exit(0));
  })().catch((error: unknown) => {
    process.send?.({ fatal: error instanceof Error ? error.stack : String(error) }, () => process.exit(1));
  });
}
