/**
 * The chat view's own rendering cost, apart from the model: a 200 KB one-paragraph answer
 * streamed into the view's bundle in Chromium at one event a frame (test/support/chatViewPage.ts).
 * bench/chatRender.ts measures the same in the real workbench, where the tiny model, the
 * extension host and the browser share two cores and take ~8 minutes for it. Here the
 * figures are Chromium's own layout time (DevTools Performance metrics) and the frame gaps.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { oneParagraph, STREAM_ANSWER, writeChatViewPage } from '../test/support/chatViewPage';
import { START_FRAME_RECORDER, STOP_FRAME_RECORDER, type FrameRecord } from './frameRecorder';
import { runAlone, type Figure } from './stats';

type Harness = typeof import('../test/vscode/codeServer.mjs', { with: { 'resolution-mode': 'import' } });

const ANSWER_CHARS = Number(process.env.BENCH_LAYOUT_KB ?? 200) * 1000;
/** ~5 tokens of the 16 ms batches, at the rate of a fast GPU. */
const CHARS_PER_FRAME = 120;
const SLOW_FRAME_MS = 50;

export async function benchChatViewLayout(): Promise<Figure[]> {
  const harness: Harness = await import('../test/vscode/codeServer.mjs');
  if (!fs.existsSync(harness.CHROMIUM_BIN)) {
    console.log('Chromium is not installed (bash scripts/install-test-tools.sh): skipping the chat view layout benchmark.');
    return [];
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-layout-'));
  const browser = await harness.launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 360, height: 700 } });
    await page.goto(writeChatViewPage(dir));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.evaluate(START_FRAME_RECORDER);
    const before = await layoutMetrics(cdp);
    const started = Date.now();
    await page.evaluate(`(${STREAM_ANSWER})(${JSON.stringify({ text: oneParagraph(ANSWER_CHARS), per: CHARS_PER_FRAME })})`);
    const seconds = (Date.now() - started) / 1000;
    const after = await layoutMetrics(cdp);
    const record: FrameRecord = await page.evaluate(STOP_FRAME_RECORDER);
    const gaps = record.gaps.map((frame) => frame.gap);
    const runs = await page.locator('.turn .content span.run').count();
    const layouts = after.count - before.count;
    const layoutMs = (after.seconds - before.seconds) * 1000;
    const detail = `${(ANSWER_CHARS / 1000).toFixed(0)} KB in one paragraph, ${CHARS_PER_FRAME} characters a frame, ${seconds.toFixed(0)} s, ${gaps.length} frames, ${layouts} layouts, ${runs} runs; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`;
    return [
      { name: 'Chat view alone: layout time per layout while a 200 KB paragraph streams (mean)', value: layoutMs / Math.max(1, layouts), unit: 'ms', detail },
      { name: 'Chat view alone: longest frame gap while it streams', value: Math.max(0, ...gaps), unit: 'ms', target: `≤ ${SLOW_FRAME_MS} ms` },
      { name: `Chat view alone: frames over ${SLOW_FRAME_MS} ms while it streams`, value: gaps.filter((gap) => gap > SLOW_FRAME_MS).length, unit: 'frames', target: '0' },
    ];
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function layoutMetrics(cdp: { send(method: 'Performance.getMetrics'): Promise<{ metrics: { name: string; value: number }[] }> }): Promise<{ count: number; seconds: number }> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const value = (name: string) => metrics.find((metric) => metric.name === name)?.value ?? 0;
  return { count: value('LayoutCount'), seconds: value('LayoutDuration') };
}

if (require.main === module) runAlone(benchChatViewLayout);
