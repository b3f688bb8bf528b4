/**
 * Stands in for a pipeline process that gets killed while it saves: indexes and forgets
 * files in a loop, so a save is always close at hand, until the test kills it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RequestToken } from '../../src/pipeline/cancellation';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';

const [store, docs] = process.argv.slice(2);

void (async () => {
  const index = await WorkspaceIndex.open(store, { log: () => {} });
  const files = fs.readdirSync(docs).map((name) => ({ absPath: path.join(docs, name), displayPath: name }));
  for (let round = 0; ; round++) {
    await index.indexFiles(files, new RequestToken(`round-${round}`));
    if (round === 0) process.send?.('saved once');
    await index.removeFiles(files.slice(0, 50).map((file) => file.displayPath));
  }
})();
