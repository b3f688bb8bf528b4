/**
 * The `#docs` language model tool: an agent (Copilot's agent mode) searches the workspace's
 * index and gets the passages, quoted, with the place each comes from (quotedPassages.ts).
 */
import * as vscode from 'vscode';
import type { Source } from '../protocol/events';
import type { SearchParams } from '../protocol/rpc';
import { quotedPassages } from '../protocol/quotedPassages';

/** package.json's `languageModelTools` name. */
export const DOCS_TOOL = 'localRag_searchDocs';

export interface DocsToolInput {
  query: string;
  k?: number;
  path?: string;
}

export type Search = (params: SearchParams, token: vscode.CancellationToken) => Promise<Source[]>;

export class DocsTool implements vscode.LanguageModelTool<DocsToolInput> {
  constructor(private readonly search: Search) {}

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<DocsToolInput>): vscode.PreparedToolInvocation {
    const { query, path } = options.input;
    return {
      invocationMessage: path
        ? vscode.l10n.t('Searching the workspace documents for "{0}" in {1}', query, path)
        : vscode.l10n.t('Searching the workspace documents for "{0}"', query),
    };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<DocsToolInput>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const { query, k, path } = options.input;
    // The agent wrote the input: what is wrong with it goes back to the agent as the tool's error.
    if (typeof query !== 'string' || !query.trim()) throw new Error('The query is empty: give the words to look for.');
    if (k !== undefined && (!Number.isInteger(k) || k < 1 || k > 50)) throw new Error('k must be a whole number from 1 to 50.');
    if (path !== undefined && (typeof path !== 'string' || !path.trim())) throw new Error('path must be a glob such as "docs/**" or "**/*.md".');
    const params = { query: query.trim(), ...(k !== undefined ? { k } : {}), ...(path ? { path } : {}) };
    const sources = await this.search(params, token).catch((error: unknown) => {
      throw token.isCancellationRequested ? new vscode.CancellationError() : error;
    });
    if (token.isCancellationRequested) throw new vscode.CancellationError();
    return new vscode.LanguageModelToolResult(quotedPassages(query.trim(), sources, path).map((text) => new vscode.LanguageModelTextPart(text)));
  }
}
