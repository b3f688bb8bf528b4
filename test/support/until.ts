/** The one polling wait of the suites (pipeline, integration, e2e) and benchmarks. */

/**
 * Polls `check` every `intervalMs` until it holds or `timeoutMs` pass; says whether it held.
 * Checks at once, so a condition that already holds costs no wait.
 */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
