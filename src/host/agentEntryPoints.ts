/**
 * The `#docs` tool and the `@docs` participant, registered by the small entry point
 * (src/activation.ts) so that VS Code finds them before the host is loaded; the host loads
 * at their first use. Imports nothing of the host but types, to keep the entry point small.
 * Where VS Code lacks an API (an older VS Code, a fork without chat), the rest still works
 * and the reason is returned for the log.
 */
import * as vscode from 'vscode';
import type { DocsParticipant } from './docsParticipant';
import type { DocsTool, DocsToolInput } from './docsTool';

/** package.json's names (docsTool.ts and docsParticipant.ts hold the same; not imported, to keep the host out). */
const DOCS_TOOL = 'localRag_searchDocs';
const DOCS_PARTICIPANT = 'localRag.docs';

export interface AgentHandlers {
  tool: DocsTool;
  participant: DocsParticipant;
}

export interface AgentEntryPoints {
  disposables: vscode.Disposable[];
  /** Why a part was not registered, for the host's log. */
  unavailable: string[];
}

export function registerAgentEntryPoints(extensionUri: vscode.Uri, handlers: () => AgentHandlers): AgentEntryPoints {
  const result: AgentEntryPoints = { disposables: [], unavailable: [] };
  const attempt = (what: string, available: boolean, register: () => vscode.Disposable) => {
    if (!available) {
      result.unavailable.push(`VS Code ${vscode.version} has no ${what} API here, so it is not offered.`);
      return;
    }
    try {
      result.disposables.push(register());
    } catch (error) {
      result.unavailable.push(`The ${what} could not be registered (${error instanceof Error ? error.message : String(error)}).`);
    }
  };
  attempt('language model tool (#docs)', typeof vscode.lm?.registerTool === 'function', () =>
    vscode.lm.registerTool<DocsToolInput>(DOCS_TOOL, {
      prepareInvocation: (options) => handlers().tool.prepareInvocation(options),
      invoke: (options, token) => handlers().tool.invoke(options, token),
    }),
  );
  attempt('chat participant (@docs)', typeof vscode.chat?.createChatParticipant === 'function', () => {
    const participant = vscode.chat.createChatParticipant(DOCS_PARTICIPANT, (request, context, stream, token) => handlers().participant.handle(request, context, stream, token));
    participant.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    participant.followupProvider = { provideFollowups: (result, context, token) => handlers().participant.followups.provideFollowups(result, context, token) };
    return participant;
  });
  return result;
}
