import type { Source } from '../../protocol/events';
import type { ChatMessage, PromptMeasure, PromptParts } from '../llm/chatModel';

const RULES =
  "You are Local RAG, an assistant that answers questions about the documents in the user's workspace. " +
  'Answer in the language of the question. Be concise.';

/** Characters an excerpt keeps at least when trimmed to fit: less says nothing. */
const MIN_EXCERPT_CHARS = 80;

/** The system prompt: answer from the numbered passages, cite them, admit when they lack the answer. */
export function buildSystemPrompt(sources: Source[]): string {
  if (sources.length === 0) {
    return `${RULES}\nNo passage of the workspace documents matched this question. Say so plainly, and do not invent document content.`;
  }
  const passages = sources.map((source, index) => `[${index + 1}] ${describeLocation(source)}\n${source.excerpt}`).join('\n\n');
  // Small models copy a worked example more reliably than they follow an abstract rule.
  return (
    `${RULES}\n` +
    `Use only the numbered passages below. After each statement, cite the passage it comes from as [1], [2] (only numbers 1 to ${sources.length}). ` +
    'If the passages do not contain the answer, say so instead of guessing.\n' +
    'Example: "Indexing runs in the background [1]. Press Stop to end an answer [2]."\n\n' +
    `Passages:\n\n${passages}`
  );
}

export function describeLocation(source: Source): string {
  const parts = [source.path];
  if (source.page !== undefined) parts.push(`page ${source.page}`);
  else if (source.startLine !== undefined) parts.push(`lines ${source.startLine}-${source.endLine ?? source.startLine}`);
  if (source.heading) parts.push(source.heading);
  return parts.join(', ');
}

export interface Packed {
  parts: PromptParts;
  /** The sources the prompt kept: a prefix of those given (so [n] keeps its meaning), excerpts maybe shortened. */
  sources: Source[];
}

/**
 * Fits question, sources and history into the model's budget, by its own token count. What
 * goes first when it does not fit: older turns (the sources answer the question, the history
 * only colours it), then the lowest-ranked sources, then the end of the last excerpt kept,
 * and as a last resort the end of the question itself. The result never exceeds the budget.
 */
export function packPrompt(question: string, sources: Source[], history: ChatMessage[], measure: PromptMeasure): Packed {
  let kept = sources.slice();
  let turns = history.slice();
  let prompt = question;
  const parts = (): PromptParts => ({ systemPrompt: buildSystemPrompt(kept), history: turns, prompt });
  const fits = () => measure.count(parts()) <= measure.budget;

  while (!fits() && turns.length > 0) turns = turns.slice(2);
  while (!fits() && kept.length > 1) kept = kept.slice(0, -1);
  if (!fits() && kept.length === 1) {
    const [only] = kept;
    const chars = longestFitting(only.excerpt.length, (n) => {
      kept = [{ ...only, excerpt: cut(only.excerpt, n) }];
      return fits();
    });
    if (chars >= MIN_EXCERPT_CHARS) kept = [{ ...only, excerpt: cut(only.excerpt, chars) }];
    else kept = [];
  }
  if (!fits()) {
    const full = question;
    const chars = longestFitting(full.length, (n) => {
      prompt = cut(full, n);
      return fits();
    });
    prompt = cut(full, chars);
  }
  return { parts: parts(), sources: kept };
}

function cut(text: string, chars: number): string {
  return chars >= text.length ? text : `${text.slice(0, chars)}…`;
}

/** The largest n in [0, max] for which `ok(n)` holds (ok is monotonic), by bisection. */
function longestFitting(max: number, ok: (n: number) => boolean): number {
  let low = 0;
  let high = max;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (ok(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}
