import type { StoreCause } from '@shared/commerce';
import { AppError } from '@shared/errors';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before one probe is let through. */
  openMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * Stops calling a store that keeps failing: after `failureThreshold` consecutive failures calls fail
 * fast with `circuit_open` for `openMs`; then a single probe decides between closing and reopening.
 * The refusal names the last real failure (`details.lastCause`: maintenance, 503, timeout, refused
 * connection), so staff hear why, not only that calls are paused.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: CircuitState = 'closed';
  private lastCause: StoreCause | null = null;

  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly clock: Clock,
    /** Hears the circuit opening and closing (not each call it refuses). */
    private readonly log?: Logger,
  ) {}

  get state(): CircuitState {
    if (this.current === 'open' && this.clock.now() - this.openedAt >= this.options.openMs) return 'half_open';
    return this.current;
  }

  /** Throws `circuit_open` unless a call may go out now. */
  enter(): void {
    const state = this.state;
    if (state === 'closed') return;
    if (state === 'half_open' && !this.probing) {
      this.probing = true;
      this.current = 'half_open';
      this.log?.info({ circuit: 'half_open' }, 'store circuit half-open: one probe call goes through');
      return;
    }
    const retryInMs = Math.max(0, this.openedAt + this.options.openMs - this.clock.now());
    const last = this.lastCause ? ` (last failure: ${describeCause(this.lastCause)})` : '';
    throw new AppError('circuit_open', `The store is failing repeatedly${last}; calls are paused for ${Math.ceil(retryInMs / 1000)} s`, {
      retryInMs,
      ...(this.lastCause ? { lastCause: this.lastCause } : {}),
    });
  }

  success(): void {
    if (this.current !== 'closed') this.log?.info({ circuit: 'closed' }, 'the store answers again; circuit closed');
    this.failures = 0;
    this.lastCause = null;
    this.probing = false;
    this.current = 'closed';
  }

  /** A call the store failed; `cause` is what went wrong, named by the refusals while the circuit is open. */
  failure(cause: StoreCause | null = null): void {
    this.failures++;
    if (cause) this.lastCause = cause;
    if (this.probing || this.failures >= this.options.failureThreshold) {
      if (this.probing) {
        this.log?.warn({ circuit: 'open', openMs: this.options.openMs }, 'the probe call failed; store circuit open again');
      } else if (this.current !== 'open') {
        this.log?.warn(
          { circuit: 'open', failures: this.failures, openMs: this.options.openMs },
          'the store keeps failing; circuit open, calls paused',
        );
      }
      this.probing = false;
      this.current = 'open';
      this.openedAt = this.clock.now();
    }
  }

  /** A call that ended without a verdict on the store (e.g. cancelled) frees the probe slot. */
  release(): void {
    if (this.probing) {
      this.probing = false;
      this.current = 'open';
      this.openedAt = this.clock.now() - this.options.openMs;
    }
  }
}

function describeCause(cause: StoreCause): string {
  if (cause.maintenance) return 'maintenance page';
  return [cause.code, cause.httpStatus !== undefined ? `HTTP ${cause.httpStatus}` : null, cause.cause].filter(Boolean).join(', ');
}
