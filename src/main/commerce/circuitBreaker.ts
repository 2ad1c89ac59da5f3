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
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: CircuitState = 'closed';

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
    throw new AppError('circuit_open', 'The store is failing repeatedly; calls are paused for a moment', { retryInMs });
  }

  success(): void {
    if (this.current !== 'closed') this.log?.info({ circuit: 'closed' }, 'the store answers again; circuit closed');
    this.failures = 0;
    this.probing = false;
    this.current = 'closed';
  }

  failure(): void {
    this.failures++;
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
