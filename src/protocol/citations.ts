/**
 * The citation syntax the prompt asks for and the chat view renders: `[n]` (or `[n, m]`)
 * where n is the 1-based number of a source in the answer's sources list. Shared so the
 * pipeline (which checks what the model cited) and the webview (which links it) agree.
 */

/** A piece of an answer: plain text, or one cited number. */
export type AnswerPart = { text: string } | { text: string; cite: number };

/** `[1]`, `[1, 2]`, `[1,2,3]`; numbers beyond three digits are not citations. */
const GROUP = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g;

/**
 * Splits an answer into text and citations. A number with no source behind it (0, or more
 * than `sourceCount`) stays plain text: the model invented it, so it must not look like a link.
 */
export function splitCitations(text: string, sourceCount: number): AnswerPart[] {
  const parts: AnswerPart[] = [];
  let plain = '';
  let last = 0;
  for (const match of text.matchAll(GROUP)) {
    const start = match.index ?? 0;
    plain += text.slice(last, start);
    last = start + match[0].length;
    const numbers = match[1].split(',').map((n) => Number(n.trim()));
    if (!numbers.some((n) => isSource(n, sourceCount))) {
      plain += match[0];
      continue;
    }
    // In a group like [1, 9] with two sources, [1] links and [9] stays text.
    numbers.forEach((n, i) => {
      if (i > 0) plain += ', ';
      if (!isSource(n, sourceCount)) {
        plain += `[${n}]`;
        return;
      }
      if (plain) parts.push({ text: plain });
      plain = '';
      parts.push({ text: `[${n}]`, cite: n });
    });
  }
  plain += text.slice(last);
  if (plain) parts.push({ text: plain });
  return mergeText(parts);
}

/** The numbers an answer cites, split into those with a source and those the model made up. */
export function citedNumbers(text: string, sourceCount: number): { valid: number[]; invented: number[] } {
  const valid = new Set<number>();
  const invented = new Set<number>();
  for (const match of text.matchAll(GROUP)) {
    for (const n of match[1].split(',').map((value) => Number(value.trim()))) {
      (isSource(n, sourceCount) ? valid : invented).add(n);
    }
  }
  return { valid: [...valid].sort((a, b) => a - b), invented: [...invented].sort((a, b) => a - b) };
}

function isSource(n: number, sourceCount: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= sourceCount;
}

function mergeText(parts: AnswerPart[]): AnswerPart[] {
  const merged: AnswerPart[] = [];
  for (const part of parts) {
    const previous = merged.at(-1);
    if (previous && !('cite' in previous) && !('cite' in part)) previous.text += part.text;
    else merged.push({ ...part });
  }
  return merged;
}
