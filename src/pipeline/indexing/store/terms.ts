/**
 * How text becomes search terms, the same way for chunks and for queries. Every word has an
 * exact form (lower case, accents kept) and a folded one (accents removed, `đ` → `d`).
 */
import { foldTerm } from '../fold';

/** Words and numbers in any script; Unicode-aware, unlike a split on ASCII punctuation. */
const TOKEN = /[\p{L}\p{N}\p{M}]+/gu;

/** The exact forms of the words of `text`, in order. */
export function exactTerms(text: string): string[] {
  const words = text.normalize('NFC').match(TOKEN) ?? [];
  for (let i = 0; i < words.length; i++) words[i] = words[i].toLowerCase();
  return words;
}

export { foldTerm };

/** Whether `term` (an exact form) carries an accent that folding would remove. */
export function isAccented(term: string): boolean {
  return foldTerm(term) !== term;
}
