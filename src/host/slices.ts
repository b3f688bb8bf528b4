/**
 * Work over every file of a workspace, done in slices: the extension host runs every
 * extension and the editor's own services on one thread, so no loop of ours may hold it for
 * more than a few milliseconds.
 */

/** How long one slice may run before the thread is handed back. */
const SLICE_MS = 4;

/** `transform` over `items` (undefined results dropped), yielding to the event loop between slices. */
export async function mapInSlices<T, R>(items: readonly T[], transform: (item: T) => R | undefined): Promise<R[]> {
  const results: R[] = [];
  // Callers come here straight from a large message (a file search's results): the first
  // slice should not run in the same turn as that message was decoded.
  await yieldToEventLoop();
  let sliceStart = performance.now();
  for (let i = 0; i < items.length; i++) {
    const result = transform(items[i]);
    if (result !== undefined) results.push(result);
    // Checking the clock is cheap next to the work; every 16 items keeps it out of the profile.
    if ((i & 15) === 15 && performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
  return results;
}

/** Lets timers, I/O and other extensions run before continuing. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
