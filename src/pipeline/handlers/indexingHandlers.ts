/** Indexing files, removing them, searching, and the index's status; every change waits for the index lock. */
import type { MessageConnection } from 'vscode-jsonrpc';
import { IndexFilesRequest, IndexProgressNotification, IndexStatusRequest, IndexWorkspaceRequest, RemoveFilesRequest, SearchRequest } from '../../protocol/rpc';
import { runIndexWorkspace } from '../indexing/indexWorkspaceRun';
import { describeError } from '../log';
import { requirePipeline, type CurrentPipeline } from '../pipeline';
import { searchPassages } from '../retrieval/passageSearch';
import { searchMode } from '../retrieval/searchMode';
import { cancelOnRpc } from '../rpcCancellation';

export function registerIndexingHandlers(connection: MessageConnection, current: CurrentPipeline): void {
  let searches = 0;
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

  connection.onRequest(IndexWorkspaceRequest, async (scope, rpcToken) => {
    const pipeline = requirePipeline(current);
    const token = pipeline.newRunToken('index');
    const subscription = cancelOnRpc(rpcToken, token);
    try {
      return await runIndexWorkspace(pipeline, scope, token, (progress) => {
        connection.sendNotification(IndexProgressNotification, progress).catch(() => {});
      });
    } finally {
      subscription.dispose();
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

  // Like a question's retrieval, a search reads the index as it stands and does not wait for indexing.
  connection.onRequest(SearchRequest, async (params, rpcToken) => {
    const pipeline = requirePipeline(current);
    const token = pipeline.startQuestion(`search-${++searches}`);
    const subscription = cancelOnRpc(rpcToken, token);
    try {
      return await searchPassages(pipeline.index, params, token);
    } finally {
      subscription.dispose();
      pipeline.endQuestion(token);
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
