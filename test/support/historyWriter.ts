/**
 * A second window's chat history, as a real process: `historyWriter.ts FILE TAG TURNS`
 * opens the history at FILE, asks TURNS questions tagged TAG (a New Chat after every third),
 * waits until everything is saved, and exits. Forked with IPC, it says `ready` once the
 * history is open and waits for a message before asking. Tests run two at once on one file.
 */
import { ChatHistory } from '../../src/pipeline/chat/history';

const [file, tag, count] = process.argv.slice(2);

async function main(): Promise<void> {
  const history = await ChatHistory.open(file, { log: (level, message) => process.stderr.write(`[${level}] ${message}\n`) });
  // Both windows open before either asks anything, as two windows restored at start-up do.
  if (process.send) {
    process.send('ready');
    await new Promise((resolve) => process.once('message', resolve));
  }
  for (let i = 1; i <= Number(count); i++) {
    history.add({ question: `${tag} question ${i}`, answer: `${tag} answer ${i}`, outcome: 'done', sources: [], askedAt: Date.now() });
    if (i % 3 === 0) history.startNew();
    // Saves interleave with the other process's instead of all landing at the end.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
  }
  await history.flush();
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
