/**
 * The ANALYSIS phase: a follow-up ("and how do I stop it?") becomes a standalone search
 * query. With a chat model the model rewrites it (a short prompt, few tokens, stoppable);
 * without one, or when the rewrite looks wrong, the previous question's key words are added
 * to a question that points back ("it", "nó"), continues ("and PDFs?", "còn…") or has no
 * key word of its own ("why?").
 * The user's own words are never dropped: a question that names its subject ("xylophonic
 * plan") is searched as typed, whatever was asked before.
 */
import type { ChatTurn } from '../../protocol/events';
import { hasChatModel, type PipelineSettings } from '../../protocol/settings';
import { CancelledError, type RequestToken } from '../cancellation';
import type { ChatModel } from '../llm/chatModel';
import { describeError, type Logger } from '../log';
import { exactTerms, foldTerm } from '../indexing/store/terms';
import { contentTerms } from './relevance';

/** Openings that continue the previous question ("and PDFs?", "what about…", "còn…"). */
const CONTINUING = /^\s*(and|also|or|but|what about|how about|và|còn|thế còn|vậy còn)(?=[\s,.?!]|$)/iu;
/** Key words borrowed from the previous question at most. */
const BORROWED_TERMS = 8;
/** A query is a line, not an essay: the rewrite stops here. */
export const REWRITE_MAX_TOKENS = 48;
/** What of each earlier turn the rewrite prompt shows. */
const REWRITE_TURN_CHARS = 400;

/** Words that point back at something said before (English, Vietnamese). */
const REFERRING = new Set(
  ('it its this that these those they them their he she him her his one ones there such same above previous ' +
    'nó đó này ấy kia họ chúng trên').split(' '),
);

/** The previous questions answered (stopped or failed turns do not set the topic). */
function previousQuestions(turns: ChatTurn[]): string[] {
  return turns.filter((turn) => turn.outcome === 'done').map((turn) => turn.question);
}

export function isFollowUp(question: string, turns: ChatTurn[]): boolean {
  if (previousQuestions(turns).length === 0) return false;
  const words = exactTerms(question);
  return contentTerms(question).length === 0 || CONTINUING.test(question) || words.some((word) => REFERRING.has(word));
}

/** The cheap rewrite: the question, plus the key words of the question before it that it lacks. */
export function fallbackQuery(question: string, turns: ChatTurn[]): string {
  const trimmed = question.trim();
  if (!isFollowUp(question, turns)) return trimmed;
  const previous = previousQuestions(turns).at(-1) ?? '';
  const have = new Set(contentTerms(question));
  const wanted = new Set(contentTerms(previous).filter((term) => !have.has(term)));
  // The words as the user typed them (accents kept), not their folded forms.
  const borrowed: string[] = [];
  for (const word of exactTerms(previous)) {
    const folded = foldTerm(word);
    if (!wanted.has(folded)) continue;
    wanted.delete(folded);
    borrowed.push(word);
  }
  const extra = borrowed.slice(0, BORROWED_TERMS);
  return extra.length ? `${trimmed} ${extra.join(' ')}` : trimmed;
}

/**
 * The model's standalone query, or undefined when it gives nothing usable: empty, too long,
 * or missing a key word of the question (then it answered instead of rewriting, drifted
 * off the user's words, or is a model that writes nonsense). Stops with the request's token.
 */
export async function modelQuery(
  model: ChatModel,
  settings: PipelineSettings,
  question: string,
  turns: ChatTurn[],
  token: RequestToken,
): Promise<string | undefined> {
  const recent = turns.filter((turn) => turn.outcome === 'done').slice(-2);
  const conversation = recent
    .map((turn) => `User: ${clip(turn.question)}\nAssistant: ${clip(turn.answer)}`)
    .join('\n');
  const text = await model.generate(settings, {
    systemPrompt:
      'Rewrite the follow-up question as one standalone search query that names what it refers to. ' +
      'Reply with the query only, on one line, in the language of the question.',
    history: [],
    prompt: `Conversation:\n${conversation}\n\nFollow-up question: ${clip(question)}\nStandalone query:`,
    maxTokens: REWRITE_MAX_TOKENS,
    token,
    onText: () => {},
  });
  const line = text.trim().split('\n')[0]?.trim().replace(/^["'“”]+|["'“”]+$/g, '') ?? '';
  if (line.length < 2 || line.length > 300) return undefined;
  const rewritten = new Set(contentTerms(line));
  return contentTerms(question).every((term) => rewritten.has(term)) ? line : undefined;
}

/** The query to search with: the model's rewrite when a model is set and it is usable, else the fallback. */
export async function analyze(
  question: string,
  turns: ChatTurn[],
  model: ChatModel,
  settings: PipelineSettings,
  token: RequestToken,
  logger: Logger,
): Promise<string> {
  const fallback = fallbackQuery(question, turns);
  if (!hasChatModel(settings) || !isFollowUp(question, turns)) return fallback;
  try {
    const rewritten = await modelQuery(model, settings, question, turns, token);
    if (rewritten) return rewritten;
  } catch (error) {
    if (error instanceof CancelledError || token.isCancelled) throw error;
    // The answer will report a broken model; the search need not wait for it.
    logger.log('warn', `The follow-up could not be rewritten by the chat model (${describeError(error)}); searching with its key words.`);
  }
  return fallback;
}

function clip(text: string): string {
  return text.length > REWRITE_TURN_CHARS ? `${text.slice(0, REWRITE_TURN_CHARS)}…` : text;
}
