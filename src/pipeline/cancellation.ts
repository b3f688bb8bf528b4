/**
 * Cancellation as the original defines it (guide §3): one token per request, cancelled
 * once, phase-aware, with callbacks that bridge a cancel into whatever is doing the work
 * (an AbortSignal, a worker thread). Node runs this on one thread, so the original's
 * lock becomes "no await inside a critical section"; callbacks still run only after the
 * token's own state is settled, so a callback that re-enters the token sees it cancelled.
 */
import type { ProcessingPhase } from '../protocol/events';

export type { ProcessingPhase };

export class CancelledError extends Error {
  constructor(readonly requestId: string, readonly phase: ProcessingPhase) {
    super(`Request ${requestId} was cancelled during ${phase}`);
    this.name = 'CancelledError';
  }
}

export type CancelCallback = () => void;
export type CallbackErrorHandler = (error: unknown) => void;

export class RequestToken {
  private cancelled = false;
  private currentPhase: ProcessingPhase = 'IDLE';
  private callbacks: CancelCallback[] = [];
  private abortController: AbortController | undefined;

  constructor(
    readonly requestId: string,
    /** Where a throwing callback is reported; one failure never stops the others. */
    private readonly onCallbackError: CallbackErrorHandler = () => {},
  ) {}

  get isCancelled(): boolean {
    return this.cancelled;
  }

  get phase(): ProcessingPhase {
    return this.currentPhase;
  }

  setPhase(phase: ProcessingPhase): void {
    this.currentPhase = phase;
  }

  /** Idempotent: only the first call runs the callbacks. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const callbacks = this.callbacks;
    this.callbacks = [];
    for (const callback of callbacks) this.invoke(callback);
  }

  throwIfCancelled(): void {
    if (this.cancelled) throw new CancelledError(this.requestId, this.currentPhase);
  }

  /** Runs at once when the token is already cancelled, else once on cancel. */
  registerCallback(callback: CancelCallback): void {
    if (this.cancelled) {
      this.invoke(callback);
      return;
    }
    this.callbacks.push(callback);
  }

  unregisterCallback(callback: CancelCallback): void {
    const index = this.callbacks.indexOf(callback);
    if (index >= 0) this.callbacks.splice(index, 1);
  }

  /** An AbortSignal tied to this token, for libraries that take one (node-llama-cpp). */
  get signal(): AbortSignal {
    if (!this.abortController) {
      const controller = new AbortController();
      this.abortController = controller;
      this.registerCallback(() => controller.abort(new CancelledError(this.requestId, this.currentPhase)));
    }
    return this.abortController.signal;
  }

  private invoke(callback: CancelCallback): void {
    try {
      callback();
    } catch (error) {
      try {
        this.onCallbackError(error);
      } catch {
        // A failing error reporter must not break cancellation either.
      }
    }
  }
}

/**
 * One active chat request at a time, for a caller with no host to decide it (the CLI):
 * starting a request cancels the one before it, and a request finishing late never clears
 * the token of the request that replaced it. The pipeline process does not use it: there
 * the host's ChatController decides which question runs, and each request has its own token.
 */
export class RequestManager {
  private current: RequestToken | undefined;
  private counter = 0;

  constructor(private readonly onCallbackError?: CallbackErrorHandler) {}

  startRequest(requestId?: string): RequestToken {
    this.current?.cancel();
    this.counter += 1;
    const token = new RequestToken(requestId ?? `req-${this.counter}`, this.onCallbackError);
    this.current = token;
    return token;
  }

  /** Runs `work` as the current request, cancelling the one before it. */
  async run<T>(requestId: string | undefined, work: (token: RequestToken) => Promise<T>): Promise<T> {
    const token = this.startRequest(requestId);
    try {
      return await work(token);
    } finally {
      this.finishRequest(token);
    }
  }

  /** Reports whether a request was running (and is now cancelled). */
  cancelCurrent(): boolean {
    const token = this.current;
    if (!token || token.isCancelled) return false;
    token.cancel();
    return true;
  }

  finishRequest(token: RequestToken): void {
    if (this.current === token) this.current = undefined;
  }

  get currentToken(): RequestToken | undefined {
    return this.current;
  }

  get isBusy(): boolean {
    return this.current !== undefined;
  }
}
