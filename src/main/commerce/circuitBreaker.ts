import { AppError } from '../../shared/errors';
import type { Clock } from '../core/clock';

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
      return;
    }
    const retryInMs = Math.max(0, this.openedAt + this.options.openMs - this.clock.now());
    throw new AppError('circuit_open', 'The store is failing repeatedly; calls are paused for a moment', { retryInMs });
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.current = 'closed';
  }

  failure(): void {
    this.failures++;
    if (this.probing || this.failures >= this.options.failureThreshold) {
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
