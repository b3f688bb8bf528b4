/**
 * RequestToken and RequestManager (guide §3, DESIGN "Cancellation"): the rules every
 * Stop in the product relies on. RequestManager is the headless owner of "one question at a
 * time" (the CLI); in the extension the host's ChatController owns it (pipelineProcess.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestToken, CancelledError, RequestManager } from '../../src/pipeline/cancellation';
import { PHASES } from '../../src/protocol/events';

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to throw');
}

describe('RequestToken', () => {
  test('starts not cancelled, in phase IDLE, with its requestId', () => {
    const token = new RequestToken('req-a');
    assert.equal(token.requestId, 'req-a');
    assert.equal(token.isCancelled, false);
    assert.equal(token.phase, 'IDLE');
    assert.doesNotThrow(() => token.throwIfCancelled());
  });

  test('setPhase is reflected by phase, for every phase', () => {
    const token = new RequestToken('req-a');
    for (const phase of PHASES) {
      token.setPhase(phase);
      assert.equal(token.phase, phase);
    }
    token.setPhase('RETRIEVAL');
    token.setPhase('GENERATION');
    assert.equal(token.phase, 'GENERATION');
  });

  test('cancel marks the token cancelled', () => {
    const token = new RequestToken('req-a');
    token.cancel();
    assert.equal(token.isCancelled, true);
  });

  test('throwIfCancelled raises a CancelledError carrying the requestId and the current phase', () => {
    const token = new RequestToken('req-42');
    token.setPhase('RETRIEVAL');
    token.cancel();
    const error = catchError(() => token.throwIfCancelled());
    assert.ok(error instanceof CancelledError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'CancelledError');
    assert.equal(error.requestId, 'req-42');
    assert.equal(error.phase, 'RETRIEVAL');
    assert.match(error.message, /req-42/);
    assert.match(error.message, /RETRIEVAL/);

    // The phase reported is the one at the time of the check, not at the time of cancel.
    token.setPhase('GENERATION');
    const later = catchError(() => token.throwIfCancelled());
    assert.ok(later instanceof CancelledError);
    assert.equal(later.phase, 'GENERATION');
  });

  test('cancel is idempotent: callbacks run exactly once however often cancel is called', () => {
    const token = new RequestToken('req-a');
    let calls = 0;
    token.registerCallback(() => calls++);
    token.cancel();
    token.cancel();
    token.cancel();
    assert.equal(calls, 1);
    assert.equal(token.isCancelled, true);
  });

  test('callbacks do not run before cancel', () => {
    const token = new RequestToken('req-a');
    let calls = 0;
    token.registerCallback(() => calls++);
    token.setPhase('GENERATION');
    token.throwIfCancelled();
    assert.equal(calls, 0);
  });

  test('registerCallback on an already-cancelled token calls it at once, and only once', () => {
    const token = new RequestToken('req-a');
    token.cancel();
    let calls = 0;
    token.registerCallback(() => calls++);
    assert.equal(calls, 1);
    token.cancel();
    assert.equal(calls, 1);
  });

  test('callbacks run in registration order', () => {
    const token = new RequestToken('req-a');
    const order: number[] = [];
    for (let i = 0; i < 5; i++) token.registerCallback(() => order.push(i));
    token.cancel();
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  test('a throwing callback does not stop the others and is reported to the error handler', () => {
    const reported: unknown[] = [];
    const token = new RequestToken('req-a', (error) => reported.push(error));
    const order: string[] = [];
    const boom = new Error('boom');
    token.registerCallback(() => order.push('first'));
    token.registerCallback(() => {
      order.push('throws');
      throw boom;
    });
    token.registerCallback(() => order.push('last'));
    assert.doesNotThrow(() => token.cancel());
    assert.deepEqual(order, ['first', 'throws', 'last']);
    assert.deepEqual(reported, [boom]);
    assert.equal(token.isCancelled, true);
  });

  test('a throwing callback registered after cancel is reported, not thrown', () => {
    const reported: unknown[] = [];
    const token = new RequestToken('req-a', (error) => reported.push(error));
    token.cancel();
    const boom = new Error('late boom');
    assert.doesNotThrow(() =>
      token.registerCallback(() => {
        throw boom;
      }),
    );
    assert.deepEqual(reported, [boom]);
  });

  test('a throwing error handler breaks nothing', () => {
    let handlerCalls = 0;
    const token = new RequestToken('req-a', () => {
      handlerCalls++;
      throw new Error('the reporter itself fails');
    });
    const order: string[] = [];
    token.registerCallback(() => {
      throw new Error('one');
    });
    token.registerCallback(() => order.push('second'));
    token.registerCallback(() => {
      throw new Error('three');
    });
    token.registerCallback(() => order.push('fourth'));
    assert.doesNotThrow(() => token.cancel());
    assert.deepEqual(order, ['second', 'fourth']);
    assert.equal(handlerCalls, 2);
    assert.equal(token.isCancelled, true);
  });

  test('a throwing callback without an error handler is swallowed', () => {
    const token = new RequestToken('req-a');
    let after = false;
    token.registerCallback(() => {
      throw new Error('boom');
    });
    token.registerCallback(() => (after = true));
    assert.doesNotThrow(() => token.cancel());
    assert.equal(after, true);
  });

  test('callbacks run after the state is settled: a callback sees the token cancelled', () => {
    const token = new RequestToken('req-a');
    token.setPhase('GENERATION');
    let seen: boolean | undefined;
    let thrown: unknown;
    token.registerCallback(() => {
      seen = token.isCancelled;
      thrown = catchError(() => token.throwIfCancelled());
    });
    token.cancel();
    assert.equal(seen, true);
    assert.ok(thrown instanceof CancelledError);
    assert.equal(thrown.phase, 'GENERATION');
  });

  test('cancel called again from inside a callback does not rerun the callbacks', () => {
    const token = new RequestToken('req-a');
    let first = 0;
    let second = 0;
    token.registerCallback(() => {
      first++;
      token.cancel();
    });
    token.registerCallback(() => second++);
    token.cancel();
    assert.equal(first, 1);
    assert.equal(second, 1);
  });

  test('a callback registered from inside another callback during cancel runs at once, exactly once', () => {
    const token = new RequestToken('req-a');
    const order: string[] = [];
    token.registerCallback(() => {
      order.push('outer:start');
      token.registerCallback(() => order.push('inner'));
      order.push('outer:end');
    });
    token.registerCallback(() => order.push('next'));
    token.cancel();
    token.cancel();
    assert.deepEqual(order, ['outer:start', 'inner', 'outer:end', 'next']);
  });

  test('unregisterCallback removes a callback so it never runs', () => {
    const token = new RequestToken('req-a');
    const order: string[] = [];
    const a = () => order.push('a');
    const b = () => order.push('b');
    const c = () => order.push('c');
    token.registerCallback(a);
    token.registerCallback(b);
    token.registerCallback(c);
    token.unregisterCallback(b);
    token.cancel();
    assert.deepEqual(order, ['a', 'c']);
  });

  test('unregistering an unknown callback is harmless, before and after cancel', () => {
    const token = new RequestToken('req-a');
    let calls = 0;
    token.registerCallback(() => calls++);
    assert.doesNotThrow(() => token.unregisterCallback(() => {}));
    token.cancel();
    assert.equal(calls, 1);
    assert.doesNotThrow(() => token.unregisterCallback(() => {}));
  });

  test('unregistering after cancel (the `finally` pattern) is harmless and runs nothing again', () => {
    const token = new RequestToken('req-a');
    let calls = 0;
    const callback = () => calls++;
    token.registerCallback(callback);
    token.cancel();
    token.unregisterCallback(callback);
    token.cancel();
    assert.equal(calls, 1);
  });

  test('signal is not aborted before cancel and aborts on cancel with a CancelledError reason', () => {
    const token = new RequestToken('req-sig');
    const signal = token.signal;
    assert.equal(signal.aborted, false);
    let abortEvents = 0;
    signal.addEventListener('abort', () => abortEvents++);
    token.setPhase('GENERATION');
    token.cancel();
    assert.equal(signal.aborted, true);
    assert.equal(abortEvents, 1);
    assert.ok(signal.reason instanceof CancelledError);
    assert.equal(signal.reason.requestId, 'req-sig');
    assert.equal(signal.reason.phase, 'GENERATION');
    assert.throws(() => signal.throwIfAborted(), CancelledError);
    token.cancel();
    assert.equal(abortEvents, 1);
  });

  test('signal returns the same AbortSignal every time', () => {
    const token = new RequestToken('req-a');
    assert.equal(token.signal, token.signal);
  });

  test('a signal obtained after cancel is already aborted with a CancelledError reason', () => {
    const token = new RequestToken('req-late');
    token.setPhase('RETRIEVAL');
    token.cancel();
    const signal = token.signal;
    assert.equal(signal.aborted, true);
    assert.ok(signal.reason instanceof CancelledError);
    assert.equal(signal.reason.requestId, 'req-late');
    assert.equal(signal.reason.phase, 'RETRIEVAL');
  });

});

describe('RequestManager', () => {
  test('is idle until a request starts', () => {
    const requests = new RequestManager();
    assert.equal(requests.isBusy, false);
    assert.equal(requests.currentToken, undefined);
  });

  test('startRequest uses the given requestId and makes that token current', () => {
    const requests = new RequestManager();
    const token = requests.startRequest('chat-7');
    assert.equal(token.requestId, 'chat-7');
    assert.equal(token.isCancelled, false);
    assert.equal(token.phase, 'IDLE');
    assert.equal(requests.currentToken, token);
    assert.equal(requests.isBusy, true);
  });

  test('startRequest without a requestId generates distinct ones', () => {
    const requests = new RequestManager();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const token = requests.startRequest();
      assert.equal(typeof token.requestId, 'string');
      assert.ok(token.requestId.length > 0);
      ids.add(token.requestId);
    }
    assert.equal(ids.size, 20);
  });

  test('one active request: starting a new one cancels the previous token', () => {
    const requests = new RequestManager();
    const first = requests.startRequest('a');
    let firstCallbacks = 0;
    first.registerCallback(() => firstCallbacks++);
    const second = requests.startRequest('b');
    assert.equal(first.isCancelled, true);
    assert.equal(firstCallbacks, 1);
    assert.equal(second.isCancelled, false);
    assert.equal(requests.currentToken, second);

    const third = requests.startRequest('c');
    assert.equal(second.isCancelled, true);
    assert.equal(third.isCancelled, false);
    assert.equal(firstCallbacks, 1);
  });

  test('a request that already finished is not cancelled by the next one', () => {
    const requests = new RequestManager();
    const first = requests.startRequest('a');
    requests.finishRequest(first);
    requests.startRequest('b');
    assert.equal(first.isCancelled, false);
  });

  test('cancelCurrent reports true and cancels when something is running', () => {
    const requests = new RequestManager();
    const token = requests.startRequest('a');
    token.setPhase('GENERATION');
    let callbacks = 0;
    token.registerCallback(() => callbacks++);
    assert.equal(requests.cancelCurrent(), true);
    assert.equal(token.isCancelled, true);
    assert.equal(callbacks, 1);
  });

  test('cancelCurrent reports false when nothing is running', () => {
    const requests = new RequestManager();
    assert.equal(requests.cancelCurrent(), false);
    const token = requests.startRequest('a');
    requests.finishRequest(token);
    assert.equal(requests.cancelCurrent(), false);
    assert.equal(token.isCancelled, false);
  });

  test('cancelCurrent reports false when the current request is already cancelled (Stop pressed twice)', () => {
    const requests = new RequestManager();
    const token = requests.startRequest('a');
    let callbacks = 0;
    token.registerCallback(() => callbacks++);
    assert.equal(requests.cancelCurrent(), true);
    assert.equal(requests.cancelCurrent(), false);
    assert.equal(callbacks, 1);
  });

  test('finishRequest clears its own token and the manager is no longer busy', () => {
    const requests = new RequestManager();
    const token = requests.startRequest('a');
    requests.finishRequest(token);
    assert.equal(requests.isBusy, false);
    assert.equal(requests.currentToken, undefined);
    // Finishing twice is harmless.
    requests.finishRequest(token);
    assert.equal(requests.isBusy, false);
  });

  test('an old request finishing late does not clear the newer one', () => {
    const requests = new RequestManager();
    const old = requests.startRequest('old');
    const newer = requests.startRequest('new');
    requests.finishRequest(old);
    assert.equal(requests.isBusy, true);
    assert.equal(requests.currentToken, newer);
    // Stop still reaches the newer request.
    assert.equal(requests.cancelCurrent(), true);
    assert.equal(newer.isCancelled, true);
    requests.finishRequest(newer);
    assert.equal(requests.isBusy, false);
  });

  test('a foreign token never clears the current one', () => {
    const requests = new RequestManager();
    const current = requests.startRequest('a');
    requests.finishRequest(new RequestToken('a'));
    assert.equal(requests.currentToken, current);
    assert.equal(requests.isBusy, true);
  });

  test('a cancelled but unfinished request keeps the manager busy until it finishes', () => {
    const requests = new RequestManager();
    const token = requests.startRequest('a');
    requests.cancelCurrent();
    assert.equal(requests.isBusy, true);
    requests.finishRequest(token);
    assert.equal(requests.isBusy, false);
  });

  test('throwing cancel callbacks of a superseded request go to the manager\'s error handler and do not stop startRequest', () => {
    const reported: unknown[] = [];
    const requests = new RequestManager((error) => reported.push(error));
    const first = requests.startRequest('a');
    const boom = new Error('boom');
    first.registerCallback(() => {
      throw boom;
    });
    const second = requests.startRequest('b');
    assert.equal(second.requestId, 'b');
    assert.equal(requests.currentToken, second);
    assert.deepEqual(reported, [boom]);

    // The handler is passed on to every token the manager creates.
    second.registerCallback(() => {
      throw boom;
    });
    assert.equal(requests.cancelCurrent(), true);
    assert.deepEqual(reported, [boom, boom]);
  });

  test('run: a newer request cancels the running one, and each clears only itself, even when it fails', async () => {
    const requests = new RequestManager();
    let release!: () => void;
    let older: RequestToken | undefined;
    const first = requests.run('a', async (token) => {
      older = token;
      await new Promise<void>((resolve) => (release = resolve));
      throw new Error('unwound late');
    });
    const second = requests.run('b', async (token) => {
      assert.equal(older?.isCancelled, true, 'the older request was cancelled when the newer one started');
      assert.equal(requests.currentToken, token);
      release();
      await assert.rejects(first, /unwound late/);
      assert.equal(requests.currentToken, token, 'the older request finishing late did not clear the newer one');
      return token.requestId;
    });
    assert.equal(await second, 'b');
    assert.equal(requests.isBusy, false);
  });
});
