import { AppError } from '@shared/errors';

/** The app's one notion of time (store client, model client, memory); tests inject a manual clock instead of sleeping. */
export interface Clock {
  now(): number;
  /** Runs `callback` after `ms`; returns a function that cancels it. */
  schedule(callback: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(callback, ms) {
    // Node's timers hold at most 2^31-1 ms; and a pending timer (a weekly maintenance job, a retry)
    // must not keep a closing process alive.
    const timer = setTimeout(callback, Math.max(0, Math.min(ms, 2_147_483_647)));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Waits `ms` on `clock`; rejects with the signal's reason when it aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      cancel();
      reject(abortReason(signal!));
    };
    const cancel = clock.schedule(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The typed error an aborted signal stands for (`closed`, `timeout`, or the caller's `cancelled`). */
export function abortReason(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  return new AppError('cancelled', 'The request was cancelled.');
}
