import type { Source } from '../../protocol/events';

/** The system prompt: answer from the numbered passages, cite them, admit when they lack the answer. */
export function buildSystemPrompt(sources: Source[]): string {
  const rules =
    'You are Local RAG, an assistant that answers questions about the documents in the user\'s workspace. ' +
    'Answer in the language of the question. Be concise.';
  if (sources.length === 0) {
    return `${rules}\nNo passage of the workspace documents matched this question. Say so plainly, and do not invent document content.`;
  }
  const passages = sources
    .map((source, index) => `[${index + 1}] ${describeLocation(source)}\n${source.excerpt}`)
    .join('\n\n');
  return `${rules}\nUse only the passages below and cite them as [n].\n\n${passages}`;
}

export function describeLocation(source: Source): string {
  const parts = [source.path];
  if (source.page !== undefined) parts.push(`page ${source.page}`);
  else if (source.startLine !== undefined) parts.push(`lines ${source.startLine}-${source.endLine ?? source.startLine}`);
  if (source.heading) parts.push(source.heading);
  return parts.join(', ');
}
