/**
 * A second window's model download, as a real process: `downloadWorker.ts MODELS_DIR ID HOST`
 * downloads the hub model ID into MODELS_DIR through the real downloader and prints one line
 * per event: `waiting` when another process holds the download, `done true|false` at the end.
 * Forked with IPC, it says `ready` and waits for a message before starting, so two start together.
 */
import { RequestToken } from '../../src/pipeline/cancellation';
import { downloadHubModel, hubModel } from '../../src/pipeline/embedding/hubModel';

const [modelsDir, id, host] = process.argv.slice(2);

async function main(): Promise<void> {
  if (process.send) {
    process.send('ready');
    await new Promise((resolve) => process.once('message', resolve));
  }
  let toldWaiting = false;
  const done = await downloadHubModel(hubModel(id, modelsDir), {
    token: new RequestToken(`download-${process.pid}`),
    host,
    onProgress(progress) {
      if (progress.waitingForOtherWindow && !toldWaiting) {
        toldWaiting = true;
        process.stdout.write('waiting\n');
      }
    },
  });
  process.stdout.write(`done ${done}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
