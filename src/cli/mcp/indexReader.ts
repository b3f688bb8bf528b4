/**
 * The MCP server's read-only view of a store that the extension or `local-rag index` may be
 * writing at the same time. Opened read-only, it never takes the store's lock nor writes
 * there, so a writer is never blocked or harmed; each call re-reads what a writer saved
 * since (one stat when nothing was).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CancelledError, RequestToken } from '../../pipeline/cancellation';
import { Embedder } from '../../pipeline/embedding/embedder';
import { MANIFEST } from '../../pipeline/indexing/store/manifest';
import { LEGACY_FILE } from '../../pipeline/indexing/store/storeFiles';
import { WorkspaceIndex } from '../../pipeline/indexing/workspaceIndex';
import type { Logger } from '../../pipeline/log';

/** A failure the agent should read as it is: it becomes the tool's error text. */
export class ToolError extends Error {}

export class IndexReader {
  private opened: Promise<WorkspaceIndex> | undefined;
  private embedder: Embedder | undefined;

  constructor(
    readonly store: string,
    private readonly logger: Logger,
    private readonly embeddingModel?: string,
  ) {}

  /** The index as saved now; a ToolError when there is none to read. */
  async index(): Promise<WorkspaceIndex> {
    if (!this.opened) {
      // A missing store is checked again on the next call: the user may index meanwhile.
      this.opened = this.open();
      this.opened.catch(() => (this.opened = undefined));
    }
    const index = await this.opened;
    await index.refresh();
    return index;
  }

  /** When a writer last saved the index (the manifest is replaced on every save). */
  async lastUpdate(): Promise<string | undefined> {
    const stat = await fs.stat(path.join(this.store, MANIFEST)).catch(() => undefined);
    return stat?.mtime.toISOString();
  }

  async close(): Promise<void> {
    const index = await this.opened?.catch(() => undefined);
    await index?.close();
    await this.embedder?.dispose();
  }

  private async open(): Promise<WorkspaceIndex> {
    if (!(await exists(path.join(this.store, MANIFEST))) && !(await exists(path.join(this.store, LEGACY_FILE)))) {
      throw new ToolError(
        `No Local RAG index in ${this.store}. Index the workspace first (VS Code: "Local RAG: Index Workspace", or \`local-rag index <folder> --store ${this.store}\`), or start the server with --store pointing at an index.`,
      );
    }
    // The embedding model loads while the index is read: both are on the way to the first search.
    const loading = this.embeddingModel && !this.embedder ? Embedder.load(this.embeddingModel) : undefined;
    loading?.catch(() => {});
    const index = await WorkspaceIndex.open(this.store, this.logger, undefined, { readOnly: true });
    if (index.newerFormat) throw new ToolError(`The index in ${this.store} was written by a newer Local RAG (${index.newerFormat}); update local-rag to read it.`);
    if (loading) this.embedder = await loading;
    if (this.embedder) await this.useVectors(index, this.embedder);
    return index;
  }

  /**
   * Searches with the vectors the index holds for this model, never embedding chunks itself:
   * a reader would do it on every start (minutes at 100k chunks) and could save none of it.
   * A cancelled token lets useEmbedder take the model and stop before its first batch.
   */
  private async useVectors(index: WorkspaceIndex, embedder: Embedder): Promise<void> {
    const token = new RequestToken('mcp-embed');
    token.cancel();
    await index.useEmbedder(embedder, token).catch((error: unknown) => {
      if (!(error instanceof CancelledError)) throw error;
    });
    if (!index.isHybrid) {
      this.logger.log(
        'warn',
        `The index in ${this.store} holds no vectors from ${embedder.modelId}: search_docs uses keywords only. Index with the same embedding model (the extension's localRag.embeddingModel, or local-rag index --embedding-model) to search by meaning too.`,
      );
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
