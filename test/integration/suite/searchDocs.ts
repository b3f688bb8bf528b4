/** What the #docs tool finds in the index, as an agent would call it: its answer's text. */
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../../src/extension';

export async function searchDocs(local: LocalRagApi, query: string, options: { k?: number; path?: string } = {}): Promise<string> {
  const source = new vscode.CancellationTokenSource();
  const input = { query, k: options.k ?? 10, ...(options.path ? { path: options.path } : {}) };
  const invocation = { input, toolInvocationToken: undefined } as vscode.LanguageModelToolInvocationOptions<typeof input>;
  const result = await local.agents.tool.invoke(invocation, source.token);
  source.dispose();
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('\n');
}
