/**
 * One Index Workspace run in the pipeline: find the files (workspaceWalk.ts), forget what
 * became a link out or a pipe, then index the first `maxFiles`. The host gets counts, what
 * was skipped and a few names, never the whole list.
 */
import type { IndexProgress, WorkspaceRunReport, WorkspaceScope } from '../../protocol/indexing';
import type { RequestToken } from '../cancellation';
import type { WorkspaceIndex } from './workspaceIndex';
import { findWorkspaceFiles } from './workspaceWalk';

/** Names of left-out files the host's message shows. */
const LEFT_OUT_SHOWN = 5;
/** The host redraws its notification at most every 100 ms: one notification per file would only cost both sides. */
const PROGRESS_MS = 50;

export interface IndexOwner {
  index: WorkspaceIndex;
  indexLock: { acquire(): Promise<() => void> };
}

export async function runIndexWorkspace(
  { index, indexLock }: IndexOwner,
  scope: WorkspaceScope,
  token: RequestToken,
  onProgress: (progress: IndexProgress) => void,
): Promise<WorkspaceRunReport> {
  let found;
  try {
    found = await findWorkspaceFiles(scope, token);
  } catch (error) {
    if (!token.isCancelled) throw error;
    return { indexed: 0, unchanged: 0, failed: [], cancelled: true, skippedFound: [], found: 0, leftOutFirst: [], searchCut: false };
  }
  const { files, skipped, dropped, droppedFolders, searchCut } = found;
  const toIndex = files.slice(0, scope.maxFiles);
  const leftOut = files.length - toIndex.length;
  const release = await indexLock.acquire();
  try {
    const gone = [...dropped, ...droppedFolders.flatMap((prefix) => index.pathsUnder(prefix))];
    if (gone.length) await index.removeFiles(gone);
    let lastSent = 0;
    const report = await index.indexFiles(toIndex, token, (progress) => {
      const now = performance.now();
      if (progress.done > 0 && progress.done < progress.total && !progress.waitingForStore && now - lastSent < PROGRESS_MS) return;
      lastSent = now;
      onProgress(progress);
    });
    return {
      ...report,
      skippedFound: skipped,
      found: files.length,
      leftOut,
      leftOutFirst: files.slice(scope.maxFiles, scope.maxFiles + LEFT_OUT_SHOWN).map((file) => file.displayPath),
      searchCut,
    };
  } finally {
    release();
  }
}
