import { AppError } from '@shared/errors';

/** The clock-driven scope of a run, a tool or a model attempt (it lives in the kernel, where the store client uses it too). */
export { AbortScope } from '../core/abortScope';

/** The typed error an aborted signal stands for: its reason when typed, else `cancelled`. */
export function abortError(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  return new AppError('cancelled', 'The run was cancelled.');
}

/**
 * Resolves with `work`, or rejects with the signal's typed error as soon as it aborts. A `work`
 * that fails after losing the race is observed here, so it never becomes an unhandled rejection.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Lost the race before it began: the caller gets the abort, and whatever `work` does after is moot.
    work.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
