/**
 * Stands in for an extension host in the orphan test: starts the real pipeline process,
 * reports its pid to the test, and waits to be killed.
 */
import { startHarness } from './pipelineHarness';

void (async () => {
  const harness = await startHarness();
  await harness.client.start();
  process.send?.({ pid: harness.client.pid });
  setInterval(() => {}, 1000);
})();
