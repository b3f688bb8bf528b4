/**
 * Index Workspace over a few thousand files in the real workbench: the progress notification
 * counts the files and says the time left, and its Cancel ends the run at once, keeping part.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useChatWorkbench } from '../support/chatView';
import { cancelIndexing, statusBarFiles, waitForTimeLeft, writeCorpus } from '../support/indexProgress';

/**
 * Enough that the run lasts several times the 2 s before a time left is shown, even on a
 * quiet machine: 5,000 files were all read there before the Cancel landed.
 */
const FILES = 20_000;
/** Cancel's target is a second; this bound leaves room for a loaded machine, not for a run that goes on. */
const CANCEL_BOUND_MS = 5000;

describe('Index Workspace over many files', () => {
  const view = useChatWorkbench({ settings: { 'localRag.chatModel': '' }, prepare: ({ workspace }) => writeCorpus(workspace, FILES) });

  test('the progress shows counts and the time left, and Cancel ends the run within seconds with part of the files indexed', async () => {
    const { harness, page } = view;
    await harness.runCommand(page, 'Local RAG: Index Workspace');
    const progress = await waitForTimeLeft(page, 60_000);
    assert.match(progress, /corpus\//, 'the file being read');
    assert.equal(await statusBarFiles(page), undefined, 'still indexing');

    const ended = await cancelIndexing(page);
    const indexed = (await statusBarFiles(page)) ?? 0;
    console.log(`Cancel: the run ended ${Math.round(ended)} ms after the click, ${indexed} of ${FILES + 2} files indexed`);
    assert.ok(ended <= CANCEL_BOUND_MS, `the run ended ${Math.round(ended)} ms after Cancel`);
    // A Cancel that did not stop the run would index them all; one that lost the work, none.
    assert.ok(indexed > 0 && indexed < FILES, `the run stopped early and kept what it had indexed (${indexed} files)`);
  });
});
