/**
 * Index Workspace as a user sees it in the real workbench (Playwright): a generated corpus of
 * many small files, the progress notification, its Cancel, and the status bar item.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';

const WORDS = ['harbour', 'ferry', 'cargo', 'crossing', 'tide', 'captain', 'deck', 'rope', 'anchor', 'lighthouse', 'gull', 'pier', 'ticket', 'timetable', 'storm', 'engine', 'quay', 'buoy', 'sail', 'keel'];
const FOLDER_SIZE = 100;

/**
 * Writes `count` files of about 2 KB under `root`/corpus, 100 to a folder: Markdown notes,
 * TypeScript and plain text in turn, each different (a function of its number), so each is a
 * few chunks with postings of their own. One marker sentence per file makes any of them findable.
 */
export function writeCorpus(root: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const dir = path.join(root, 'corpus', String(Math.floor(i / FOLDER_SIZE)));
    if (i % FOLDER_SIZE === 0) fs.mkdirSync(dir, { recursive: true });
    const words = (p: number) => Array.from({ length: 50 }, (_, w) => WORDS[(i * 7 + p * 13 + w * w) % WORDS.length]).join(' ');
    const marker = `Logbook entry ${i} names the vessel ${`v${i.toString(36)}`}.`;
    const kind = i % 3;
    const body =
      kind === 0
        ? `# Note ${i}\n\n${marker}\n\n${[1, 2, 3, 4, 5].map((p) => `## Part ${p}\n\n${words(p)}.`).join('\n\n')}\n`
        : kind === 1
          ? `// ${marker}\n${[1, 2, 3, 4, 5].map((p) => `export function part${p}(): string {\n  return '${words(p)}';\n}`).join('\n\n')}\n`
          : `${marker}\n\n${[1, 2, 3, 4, 5].map(words).join('.\n\n')}.\n`;
    fs.writeFileSync(path.join(dir, `entry-${i}.${['md', 'ts', 'txt'][kind]}`), body);
  }
}

/** Index Workspace's progress notification. */
export function indexingToast(page: Page): Locator {
  return page.locator('.notification-toast', { has: page.locator('.notification-list-item-message', { hasText: /Indexing workspace/ }) });
}

/** The progress text once it says the time left: "1234/5002 — about 5 s left — corpus/…". */
export async function waitForTimeLeft(page: Page, timeout: number): Promise<string> {
  const message = indexingToast(page).locator('.notification-list-item-message', { hasText: /\d+\/\d+ — about \d+ (s|min) left — / });
  await message.waitFor({ timeout });
  return (await message.textContent()) ?? '';
}

/** The number of files the status bar item says are indexed; undefined while it says "indexing". */
export async function statusBarFiles(page: Page): Promise<number | undefined> {
  const text = (await page.locator('.statusbar-item', { hasText: /Local RAG:/ }).first().textContent()) ?? '';
  const files = /Local RAG: (\d+) files/.exec(text);
  return files ? Number(files[1]) : undefined;
}

/**
 * Clicks the notification's Cancel and returns the milliseconds until the run has ended for
 * the user: the status bar item no longer says "indexing" (the notification itself closes
 * on the click, before the run has stopped).
 */
export async function cancelIndexing(page: Page): Promise<number> {
  const clicked = performance.now();
  await indexingToast(page).getByRole('button', { name: 'Cancel' }).click();
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll('.statusbar-item')).some((item) => /Local RAG: \d+ files/.test(item.textContent ?? '')),
    undefined,
    { polling: 20, timeout: 30_000 },
  );
  return performance.now() - clicked;
}
