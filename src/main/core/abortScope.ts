import { AppError } from '@shared/errors';
import { systemClock, type Clock } from './clock';

/**
 * An abort signal that follows a parent signal and fires on its own when its deadline passes.
 * `arm` sets a new deadline in place of the last one (the model client re-arms it after every
 * streamed chunk, so it measures silence). `dispose` clears the timer, detaches from the parent
 * and aborts whatever work is still listening (e.g. the other lookups of a tool whose first one
 * failed), so nothing outlives the scope it guards (the prototype leaked sessions and timers
 * exactly here).
 */
export class AbortScope {
  private readonly controller = new AbortController();
  private cancelTimer: (() => void) | null = null;
  private readonly detach: () => void;

  constructor(
    parent: AbortSignal | undefined,
    timeoutMs: number,
    onTimeout: () => AppError,
    private readonly clock: Clock = systemClock,
  ) {
    const forward = () => this.controller.abort(parent?.reason);
    if (parent?.aborted) {
      forward();
      this.detach = () => {};
    } else if (parent) {
      parent.addEventListener('abort', forward, { once: true });
      this.detach = () => parent.removeEventListener('abort', forward);
    } else {
      this.detach = () => {};
    }
    this.arm(timeoutMs, onTimeout);
  }

  /** Replaces the deadline: `onTimeout` aborts the signal `ms` from now (no deadline when not finite). */
  arm(ms: number, onTimeout: () => AppError): void {
    this.cancelTimer?.();
    this.cancelTimer = Number.isFinite(ms) ? this.clock.schedule(() => this.controller.abort(onTimeout()), ms) : null;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.detach();
    if (!this.controller.signal.aborted) this.controller.abort(new AppError('cancelled', 'The work this belonged to has finished.'));
  }
}
