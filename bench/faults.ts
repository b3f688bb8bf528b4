/**
 * Figures of the fault suite's runs (test/pipeline/faults.test.ts checks their behaviour):
 * the pipeline's memory across 200 questions with random Stops, newer questions and New Chat
 * (slope of RSS per 100 questions), and the time from a SIGKILL to the next answer's first
 * token through a fresh pipeline process.
 */
import { mulberry32 } from '../test/fixtures/random';
import { KILL_MOMENTS, killRound, questionStorm, slopePer100, startKillRig } from '../test/support/faultRounds';
import { indexSampleDocs, startHarness } from '../test/support/pipelineHarness';
import { percentile, type Figure, runAlone } from './stats';

const QUESTIONS = 200;
const SAMPLE_EVERY = 20;
const KILLS = 20;

export async function benchFaults(): Promise<Figure[]> {
  if (process.platform !== 'linux') return [];
  const figures: Figure[] = [];
  const storm = await startHarness({ embeddingModel: '', rerankerModel: '', maxAnswerTokens: 60 });
  try {
    await indexSampleDocs(storm);
    const { rss, requests } = await questionStorm(storm, QUESTIONS, mulberry32(99), SAMPLE_EVERY);
    const slope = slopePer100(rss, SAMPLE_EVERY);
    figures.push({
      name: `Pipeline memory over ${QUESTIONS} questions (random Stops, newer questions, New Chat): slope`,
      value: slope,
      unit: 'MB per 100 questions',
      target: 'flat (reported)',
      detail: `RSS every ${SAMPLE_EVERY} questions: ${rss.map((mb) => mb.toFixed(0)).join(', ')} MB; ${requests.length} questions started`,
    });
  } finally {
    await storm.dispose();
  }
  const { harness: kills, targets, dispose } = await startKillRig();
  try {
    const rng = mulberry32(2026);
    const recovery: number[] = [];
    for (let round = 0; round < KILLS; round++) recovery.push((await killRound(kills, targets, KILL_MOMENTS[round % KILL_MOMENTS.length], rng, round)).recoveryMs);
    const sorted = recovery.filter(Number.isFinite).sort((a, b) => a - b);
    figures.push({
      name: `kill -9 of the pipeline → the next answer's first token (fresh process, index and history loaded), ${KILLS} kills`,
      value: percentile(sorted, 50),
      unit: 'ms median',
      target: 'reported',
      detail: `p95 ${percentile(sorted, 95).toFixed(0)} ms; killed while answering, indexing, saving, writing history and downloading`,
    });
  } finally {
    await dispose();
  }
  return figures;
}

if (require.main === module) runAlone(benchFaults);
