/**
 * German compounds at query time: "Schießpulverunternehmen" is rarely in the text as typed,
 * its parts ("Schießpulver", "Unternehmen") often are. A query word is split in two where
 * both parts are indexed words, choosing as Koehn and Knight (2003) do: the split whose parts'
 * document frequencies have the highest geometric mean, and no split when the word as typed
 * is more frequent than that. Nothing indexed changes.
 */

/** Parts shorter than this are too often a prefix or an ending ("ein", "ung"). */
const PART_MIN = 4;
/** Linking elements between a compound's parts ("Gerichts|verfahren", "Touristen|strecken"). */
const LINKS = ['s', 'es', 'n', 'en'];

/** The two indexed words `word` (folded) is compounded of, or none. */
export function compoundParts(word: string, documentFrequency: (term: string) => number): string[] {
  let best: string[] = [];
  let bestScore = documentFrequency(word);
  for (let at = PART_MIN; at <= word.length - PART_MIN; at++) {
    const tail = word.slice(at);
    const tailFrequency = documentFrequency(tail);
    if (tailFrequency === 0) continue;
    const joined = word.slice(0, at);
    for (const head of [joined, ...LINKS.filter((link) => joined.endsWith(link)).map((link) => joined.slice(0, -link.length))]) {
      if (head.length < PART_MIN) continue;
      const score = Math.sqrt(documentFrequency(head) * tailFrequency);
      if (score > bestScore) [best, bestScore] = [[head, tail], score];
    }
  }
  return best;
}
