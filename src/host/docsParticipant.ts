/**
 * The `@docs` chat participant: answers in VS Code's chat from the index, through the same
 * ChatController as the chat view, so that a question from either stops the other's before
 * it starts and the two never interleave. Phases become progress, the cited passages
 * references that open the exact lines, the answer streams as untrusted Markdown (it quotes
 * documents: no command links, no HTML), and the chat's cancel is the question's Stop.
 */
import * as vscode from 'vscode';
import type { ChatEvent, Source } from '../protocol/events';
import type { ChatController } from './chatController';
import { resolveDisplayPath } from './openSource';

/** package.json's `chatParticipants` id. */
export const DOCS_PARTICIPANT = 'localRag.docs';

/** What a finished answer leaves for its follow-ups. */
interface DocsMetadata {
  headings: string[];
}

export class DocsParticipant {
  constructor(private readonly controller: ChatController) {}

  readonly handle: vscode.ChatRequestHandler = async (request, _context, stream, token) => {
    const question = request.prompt.trim();
    if (!question) {
      stream.markdown(vscode.l10n.t('Ask a question about your workspace documents, for example: @docs how do I configure the server?'));
      return {};
    }
    let sources: Source[] = [];
    let referenced = false;
    // The final list is known once the answer starts (the prompt may drop some): only then are they shown.
    const showSources = () => {
      if (referenced) return;
      referenced = true;
      for (const source of sources) {
        const location = locationOf(source);
        if (location) stream.reference(location);
      }
    };
    const end = await this.controller.ask(question, token, (event: ChatEvent) => {
      // Cancelled: the chat has closed this response; what the pipeline sent meanwhile is dropped.
      if (token.isCancellationRequested) return;
      if ('status' in event) stream.progress(event.status);
      else if ('sources' in event) sources = event.sources;
      else if ('content' in event) {
        showSources();
        stream.markdown(untrusted(event.content));
      }
    });
    if ('error' in end) {
      if (end.code === 'notIndexed') stream.button({ command: 'localRag.indexWorkspace', title: vscode.l10n.t('Index Workspace') });
      return { errorDetails: { message: end.error } };
    }
    if ('cancelled' in end) return {};
    showSources();
    const metadata: DocsMetadata = { headings: [...new Set(sources.flatMap((source) => (source.heading ? [oneLine(source.heading)] : [])))].slice(0, 2) };
    return { metadata };
  };

  readonly followups: vscode.ChatFollowupProvider = {
    provideFollowups: (result) => {
      const headings = (result.metadata as Partial<DocsMetadata> | undefined)?.headings ?? [];
      return headings.map((heading) => ({ prompt: vscode.l10n.t('Tell me more about "{0}"', heading), participant: DOCS_PARTICIPANT }));
    },
  };
}

/** A source's place: the exact lines of a text file, the file alone for a PDF page. */
export function locationOf(source: Source): vscode.Location | vscode.Uri | undefined {
  const uri = resolveDisplayPath(source.path, vscode.workspace.workspaceFolders ?? []);
  if (!uri || source.page !== undefined || source.startLine === undefined) return uri;
  const start = source.startLine - 1;
  const end = Math.max((source.endLine ?? source.startLine) - 1, start);
  return new vscode.Location(uri, new vscode.Range(start, 0, end, Number.MAX_SAFE_INTEGER));
}

/** The answer quotes documents: shown as Markdown that can run nothing. */
function untrusted(text: string): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(text);
  markdown.isTrusted = false;
  markdown.supportHtml = false;
  markdown.supportThemeIcons = false;
  return markdown;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 80);
}
