/**
 * The answer without a chat model: the sentences of the top passages that share the most
 * words with the question, each cited, and how to get a model. Honest about what it is — a
 * quotation, not a generated answer.
 */
import type { Source } from '../../protocol/events';
import { bodyLines, withoutLineMarks } from '../../protocol/plainText';
import { chatMessages } from './messages';
import { contentTerms } from './relevance';

/** Passages quoted: the best few, as a person would skim them. */
const PASSAGES = 3;
/** Sentences quoted from each. */
const SENTENCES = 2;
const MAX_SENTENCE_CHARS = 300;

export const NO_MODEL_NOTE = chatMessages('en').noModelNote;

export function extractiveAnswer(query: string, sources: Source[], language?: string): string {
  const terms = contentTerms(query);
  const quotes = sources.slice(0, PASSAGES).map((source, i) => {
    const picked = bestSentences(source.excerpt, terms, source.heading);
    // The heading is a path in front of the quote, never run into its first sentence.
    const where = source.heading ? `*${source.heading}* › ` : '';
    return `- ${where}${picked.join(' ')} [${i + 1}]`;
  });
  const messages = chatMessages(language);
  return `${messages.fromYourDocuments}\n\n${quotes.join('\n')}\n\n${messages.noModelNote}`;
}

function bestSentences(excerpt: string, terms: string[], heading?: string): string[] {
  const sentences = splitSentences(excerpt, heading);
  if (sentences.length === 0) return [clip(excerpt.trim())];
  const scored = sentences.map((text, index) => ({ text, index, score: contentTerms(text).filter((term) => terms.includes(term)).length }));
  const chosen = scored
    .slice()
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, SENTENCES)
    // Back in reading order, so two sentences read as the passage does.
    .sort((a, b) => a.index - b.index);
  return chosen.map((sentence) => clip(sentence.text));
}

/**
 * Sentences of a passage: no heading lines, list bullets or blank lines. Inline Markdown stays
 * (the answer is rendered as Markdown, without HTML).
 */
function splitSentences(text: string, heading?: string): string[] {
  return bodyLines(text, heading)
    .join('\n')
    .split(/\n\s*\n|\n(?=\s*(?:[-*+] |\d+\. ))/)
    .map((block) => block.split('\n').map(withoutLineMarks).join(' ').replace(/\s+/g, ' ').trim())
    .flatMap((block) => block.split(/(?<=[.!?。])\s+(?=\S)/))
    .map((sentence) => sentence.trim())
    .filter((sentence) => /[\p{L}\p{N}]/u.test(sentence));
}

function clip(sentence: string): string {
  return sentence.length > MAX_SENTENCE_CHARS ? `${sentence.slice(0, MAX_SENTENCE_CHARS)}…` : sentence;
}
