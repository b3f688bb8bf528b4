/**
 * The fault suite: the real pipeline process killed with SIGKILL at random moments, and a
 * storm of questions with random Stops, newer questions and New Chat, through the host's own
 * client and ChatController. `bench/faults.ts` reports the same runs' figures.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { mulberry32 } from '../fixtures/random';
import { expectedAnswer, KILL_MOMENTS, killRound, questionStorm, savedQuestions, startKillRig, type KillRound } from '../support/faultRounds';
import { indexSampleDocs, startHarness, until, type Harness } from '../support/pipelineHarness';

const KILL_ROUNDS = Number(process.env.LOCAL_RAG_KILL_ROUNDS ?? 50);
const STORM_QUESTIONS = Number(process.env.LOCAL_RAG_STORM_QUESTIONS ?? 200);

describe('kill -9 of the pipeline at random moments', () => {
  let rig: Awaited<ReturnType<typeof startKillRig>>;
  before(async () => {
    rig = await startKillRig();
  });
  after(async () => rig?.dispose());

  test(`${KILL_ROUNDS} rounds: the index loads, history is intact, downloads resume whole, the next question works, one clear error per killed request`, { timeout: 900_000 }, async () => {
    const { harness, targets } = rig;
    const rng = mulberry32(2026);
    const rounds: KillRound[] = [];
    // Turns saved in earlier rounds, which every later history must still hold.
    const kept: string[] = [];
    for (let round = 0; round < KILL_ROUNDS; round++) {
      const moment = KILL_MOMENTS[round % KILL_MOMENTS.length];
      const result = await killRound(harness, targets, moment, rng, round);
      rounds.push(result);
      const where = `round ${round} (${moment})`;
      assert.equal(result.outcomes.length, 1, `${where}: the killed request ended exactly once`);
      const outcome = result.outcomes[0];
      if (moment === 'answering') assert.match(outcome, /^error: The Local RAG pipeline process was killed \(SIGKILL\)\. Ask again/, `${where}: a clear error`);
      // A run or download that finished before the kill landed completed; one killed ends with a clear error.
      if ((moment === 'indexing' || moment === 'downloading') && outcome.startsWith('error')) {
        assert.match(outcome, /^error: The Local RAG pipeline process was killed \(SIGKILL\)/, `${where}: a clear error`);
      }
      assert.deepEqual(result.next, { requestId: `next-${round}`, done: true }, `${where}: the next question works`);
      assert.ok(result.nextText.length > 0, `${where}: the next question is answered`);
      assert.equal(result.filesAfter, targets.corpus.length, `${where}: the index loads with every file (a run's files are saved, or the earlier entries kept)`);
      for (const question of kept) assert.ok(result.history.some((turn) => turn.question === question && turn.outcome === 'done'), `${where}: history still holds "${question}"`);
      for (const turn of result.history) assert.ok(typeof turn.answer === 'string' && typeof turn.question === 'string', `${where}: history turns are whole`);
      // A turn is written just behind its answer (never delaying it): a kill inside that write
      // may lose that one turn, never an earlier one. Once on disk it must survive every later kill.
      const nextTurn = [...result.history].reverse().find((turn) => turn.outcome === 'done');
      assert.ok(nextTurn, `${where}: the next question's turn is in the history`);
      assert.ok(await until(() => savedQuestions(harness.storageDir).has(nextTurn.question), 10_000), `${where}: the turn reached the disk`);
      kept.push(nextTurn.question);
    }
    for (const moment of ['indexing', 'downloading'] as const) {
      assert.ok(rounds.some((r) => r.moment === moment && r.outcomes[0].startsWith('error')), `some ${moment} rounds were killed mid-way`);
    }
    // Whatever the kills left, the download completes: its files pass the hub's SHA-256 before they are kept.
    const final = await harness.client.downloadModel({ role: 'embedding', id: targets.modelId }, new CancellationTokenSource().token);
    assert.deepEqual(final, { completed: true });
  });
});

describe('a storm of questions, Stops, newer questions and New Chat', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({ embeddingModel: '', rerankerModel: '', maxAnswerTokens: 60 });
    await indexSampleDocs(harness);
  });
  after(async () => harness.dispose());

  test(`${STORM_QUESTIONS} questions: exactly one terminal event each, nothing after it, no text crossing between answers`, { timeout: 900_000 }, async () => {
    const storm = await questionStorm(harness, STORM_QUESTIONS, mulberry32(99));
    assert.ok(storm.requests.length > STORM_QUESTIONS / 2, 'most questions started');
    for (const request of storm.requests) {
      assert.equal(request.terminals.length, 1, `${request.question}: exactly one terminal event`);
      assert.deepEqual(request.late, [], `${request.question}: nothing after the terminal event`);
      assert.equal(request.overlapped, false, `${request.question}: no other question started while it ran`);
    }
    const outcomes = new Set(storm.requests.map((r) => Object.keys(r.terminals[0]).find((k) => k !== 'requestId')));
    assert.ok(outcomes.has('done') && outcomes.has('cancelled'), `answers both finished and stopped (${[...outcomes]})`);
    // Each saved turn is the text its own question streamed: no text crossed between answers.
    const byQuestion = new Map(storm.requests.map((r) => [r.question, r]));
    for (const turn of storm.history) {
      const request = byQuestion.get(turn.question);
      assert.ok(request, `a saved turn belongs to a question that was asked: ${turn.question}`);
      assert.equal(turn.answer, expectedAnswer(request), `${turn.question}: the saved answer is what that question streamed`);
    }
    const current = storm.requests.filter((r) => !r.cleared && r.text.length > 0);
    for (const request of current) {
      assert.ok(storm.history.some((turn) => turn.question === request.question), `${request.question}: its answer is in the current conversation`);
    }
  });
});
