// A second extension in the same extension host as Local RAG: a benchmark that drives the
// workbench from outside (Playwright) cannot run code in the host, so this one samples the
// host's event-loop delay and appends the largest delay of each quarter second to a file.
const fs = require('node:fs');
const { monitorEventLoopDelay } = require('node:perf_hooks');

exports.activate = (context) => {
  const file = process.env.LOOP_PROBE_FILE;
  if (!file) return;
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const timer = setInterval(() => {
    fs.appendFileSync(file, `${JSON.stringify({ t: Date.now(), maxMs: histogram.max / 1e6 })}\n`);
    histogram.reset();
  }, 250);
  context.subscriptions.push({ dispose: () => clearInterval(timer) });
};
