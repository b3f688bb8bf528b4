/**
 * Offers `local-rag mcp` over the open workspace's index to VS Code's own agents, through
 * the MCP server definition provider API of VS Code 1.101. @types/vscode is 1.100 here, so
 * the part used is declared below; where VS Code lacks the API (1.100 has only a proposal
 * that extensions may not use) nothing is registered and the log says why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PipelineSettings } from '../protocol/settings';

/** package.json's `mcpServerDefinitionProviders` id. */
export const MCP_PROVIDER_ID = 'localRag.mcp';

/** vscode.McpStdioServerDefinition (1.101). */
type McpStdioServerDefinitionClass = new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string) => object;

interface McpServerDefinitionProvider {
  readonly onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<object[]>;
}

/** The 1.101 API, as far as it is used; each part may be missing. */
interface McpApi {
  McpStdioServerDefinition?: McpStdioServerDefinitionClass;
  lm?: { registerMcpServerDefinitionProvider?(id: string, provider: McpServerDefinitionProvider): vscode.Disposable };
}

export interface McpServerOptions {
  extensionPath: string;
  version: string;
  /** The workspace's index folder (what the pipeline writes). */
  store: string;
  settings(): PipelineSettings;
}

/** Registers the provider, or says why it cannot be (the caller logs it). */
export function registerMcpServerProvider(options: McpServerOptions, api: McpApi = vscode as McpApi): { disposable?: vscode.Disposable; unavailable?: string } {
  const Definition = api.McpStdioServerDefinition;
  const register = api.lm?.registerMcpServerDefinitionProvider;
  if (typeof Definition !== 'function' || typeof register !== 'function') {
    return { unavailable: `VS Code ${vscode.version} has no MCP server definition provider API (it came in 1.101), so local-rag mcp is not offered to VS Code's agents; add it to mcp.json by hand (README).` };
  }
  // The definition carries the model settings: VS Code asks again when they change.
  const changed = new vscode.EventEmitter<void>();
  const listener = vscode.workspace.onDidChangeConfiguration((event) => {
    if (event.affectsConfiguration('localRag')) changed.fire();
  });
  try {
    const provider = register.call(api.lm, MCP_PROVIDER_ID, {
      onDidChangeMcpServerDefinitions: changed.event,
      provideMcpServerDefinitions: () => [
        // Inside the editor process.execPath is Electron; ELECTRON_RUN_AS_NODE makes it Node, as for the pipeline.
        new Definition('Local RAG', process.execPath, mcpArguments(options), { ELECTRON_RUN_AS_NODE: '1' }, options.version),
      ],
    });
    return { disposable: vscode.Disposable.from(provider, listener, changed) };
  } catch (error) {
    listener.dispose();
    changed.dispose();
    // VS Code 1.100 has the function but refuses it to extensions (a proposed API).
    return { unavailable: `VS Code ${vscode.version} refused the MCP server definition provider (${error instanceof Error ? error.message : String(error)}); local-rag mcp is not offered to VS Code's agents; add it to mcp.json by hand (README).` };
  }
}

/** dist/cli.js mcp over the workspace's store, with the chat model or model server the settings name. */
export function mcpArguments({ extensionPath, store, settings }: Pick<McpServerOptions, 'extensionPath' | 'store' | 'settings'>): string[] {
  const args = [path.join(extensionPath, 'dist', 'cli.js'), 'mcp', '--store', store];
  const current = settings();
  if (current.chatProvider === 'openaiCompatible' && current.serverBaseUrl) {
    args.push('--server', current.serverBaseUrl, ...(current.serverChatModel ? ['--server-model', current.serverChatModel] : []));
  } else if (path.isAbsolute(current.chatModel) && fs.existsSync(current.chatModel)) {
    // A model still to be downloaded (hf:) is left out: ask_docs then quotes the best passages.
    args.push('--model', current.chatModel);
  }
  if (path.isAbsolute(current.embeddingModel) && fs.existsSync(current.embeddingModel)) args.push('--embedding-model', current.embeddingModel);
  return args;
}
