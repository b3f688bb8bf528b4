/**
 * A second process for the file-lock tests: takes the lock named on its command line,
 * tells the parent ('held'), and holds it until told to 'release' (then says 'released')
 * or until it is killed.
 */
import { acquireLock } from '../../src/pipeline/fileLock';

const [lockPath] = process.argv.slice(2);

void (async () => {
  const lock = await acquireLock(lockPath);
  process.send?.('held');
  process.on('message', async (message) => {
    if (message !== 'release') return;
    await lock.release();
    process.send?.('released');
    process.disconnect();
  });
})();
