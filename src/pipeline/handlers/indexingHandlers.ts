/** Indexing files, removing them, and the index's status; every change waits for the index lock. */
import type { MessageConnection } from 'vscode-jsonrpc';
import { IndexFilesRequest, IndexProgressNotification, IndexStatusRequest, RemoveFilesRequest } from '../../protocol/rpc';
import { describeError } from '../log';
import { requirePipeline, type CurrentPipeline } from '../pipeline';
import { searchMode } from '../retrieval/searchMode';
import { cancelOnRpc } from '../rpcCancellation';

export function registerIndexingHandlers(connection: MessageConnection, current: CurrentPipeline): void {
  connection.onRequest(IndexFilesRequest, async ({ files }, rpcToken) => {
    const pipeline = requirePipeline(current);
    const release = await pipeline.indexLock.acquire();
    const token = pipeline.newRunToken('index');
    const subscription = cancelOnRpc(rpcToken, token);
    try {
      return await pipeline.index.indexFiles(files, token, (progress) => {
        connection.sendNotification(IndexProgressNotification, progress).catch(() => {});
      });
    } finally {
      subscription.dispose();
      release();
    }
  });

  connection.onRequest(RemoveFilesRequest, async ({ paths }) => {
    const pipeline = current();
    if (!pipeline) return 0;
    const release = await pipeline.indexLock.acquire();
    try {
      return await pipeline.index.removeFiles(paths);
    } finally {
      release();
    }
  });

  connection.onRequest(IndexStatusRequest, async () => {
    const pipeline = current();
    if (!pipeline) return { files: 0, chunks: 0, failures: [] };
    const { index, logger, models } = pipeline;
    // What another window saved counts too.
    await index.refresh().catch((error: unknown) => logger.log('warn', `The saved index could not be re-read (${describeError(error)}).`));
    return { ...index.status(), search: searchMode(models, index) };
  });
}
