/**
 * Accent folding for keyword search. Vietnamese tells words apart by their accents alone
 * ("bàn" table, "bán" sell, "bạn" friend), so accents are kept where the user typed them
 * and folded only to let an unaccented query find accented text. `đ` has no decomposition
 * and is mapped by hand.
 */
export function normalizeTerm(term: string): string {
  return term.normalize('NFC').toLowerCase();
}

/** Terms repeat endlessly while indexing; remembering recent folds saves most of the work. */
const folded = new Map<string, string>();
const FOLD_CACHE_SIZE = 50_000;

export function foldTerm(term: string): string {
  let result = folded.get(term);
  if (result === undefined) {
    result = term
      .normalize('NFD')
      .replace(/\p{M}+/gu, '')
      .replace(/[đĐ]/g, 'd')
      .toLowerCase();
    if (folded.size >= FOLD_CACHE_SIZE) folded.clear();
    folded.set(term, result);
  }
  return result;
}

/** Whether the user typed any accent (so precision on accents is wanted). */
export function hasAccents(text: string): boolean {
  return foldTerm(text) !== normalizeTerm(text);
}
