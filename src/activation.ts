/**
 * The extension's entry point (bundled as dist/extension.js), small so that activating costs
 * next to nothing where Local RAG is not used. VS Code starts it once the window has started
 * (onStartupFinished: no activation event can see an index, which lives in global storage),
 * and the host itself (src/extension.ts, bundled as dist/host.js) loads at once only where it
 * has work from the start: the workspace has an index (the watchers keep it current, the
 * status bar shows it) or localRag.indexOnOpen asks for one. Anywhere else it loads when the
 * chat view opens, a command runs, or something asks for the API.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as Host from './extension';
import { registerAgentEntryPoints } from './host/agentEntryPoints';
import { workspaceStorageDir } from './host/storageLocation';

/** package.json's view id (chatViewProvider.ts's CHAT_VIEW_ID, not imported: that would bundle the host in). */
const CHAT_VIEW_ID = 'localRag.chat';

let host: typeof Host | undefined;

export function activate(context: vscode.ExtensionContext): Host.LocalRagApi {
  let api: Host.LocalRagApi | undefined;
  const standIns: vscode.Disposable[] = [];
  const wake = (): Host.LocalRagApi => {
    if (api) return api;
    // The host registers the same commands and view: these make way first.
    standIns.forEach((standIn) => standIn.dispose());
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    host = require(path.join(__dirname, 'host.js')) as typeof Host;
    api = host.activate(context, agents.unavailable);
    return api;
  };
  // The #docs tool and @docs: VS Code must find them at once; their first use loads the host.
  const agents = registerAgentEntryPoints(context.extensionUri, () => wake().agents);
  context.subscriptions.push(...agents.disposables);
  if (hasWorkFromStart(context)) return wake();
  for (const id of commandIds(context)) {
    standIns.push(
      vscode.commands.registerCommand(id, (...args: unknown[]) => {
        wake();
        return vscode.commands.executeCommand(id, ...args);
      }),
    );
  }
  standIns.push(
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, {
      resolveWebviewView: (view) => wake().view.resolveWebviewView(view),
    }),
  );
  context.subscriptions.push(...standIns);
  // No `then`: VS Code and `await` look for one, and that must not load the host.
  return new Proxy({} as Host.LocalRagApi, { get: (_, key) => (key === 'then' ? undefined : Reflect.get(wake(), key)) });
}

export async function deactivate(): Promise<void> {
  await host?.deactivate();
}

function hasWorkFromStart(context: vscode.ExtensionContext): boolean {
  if (!vscode.workspace.workspaceFolders?.length) return false;
  if (vscode.workspace.getConfiguration('localRag').get<boolean>('indexOnOpen')) return true;
  return fs.existsSync(path.join(workspaceStorageDir(context), 'index', 'manifest.json'));
}

function commandIds(context: vscode.ExtensionContext): string[] {
  const contributes = (context.extension.packageJSON as { contributes?: { commands?: { command: string }[] } }).contributes;
  return (contributes?.commands ?? []).map((command) => command.command);
}
