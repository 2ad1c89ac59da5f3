import { AppError } from '@shared/errors';
import { abortReason, type Clock } from '../core/clock';

export interface RateLimitOptions {
  /** Requests allowed in any window of `windowMs`. */
  maxRequests: number;
  windowMs: number;
  /** Callers allowed to wait for a slot; one more is refused with `rate_limited`. */
  maxQueue: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: AppError) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * A sliding-window limiter that queues callers (FIFO) instead of failing them. It keeps the start
 * times of the last `maxRequests` grants, so no window of `windowMs` ever holds more than that.
 */
export class RateLimiter {
  private readonly grants: number[] = [];
  private grantsHead = 0;
  private readonly queue: Waiter[] = [];
  private cancelTimer: (() => void) | null = null;
  private closedWith: AppError | null = null;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly clock: Clock,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** How long a caller queued now would wait for its slot (0 when one is free). */
  expectedWaitMs(): number {
    const now = this.clock.now();
    const active = this.activeGrants(now);
    // Its place among the callers beyond the free slots; each takes the slot of the oldest grant still in the window.
    const position = this.queue.length - (this.options.maxRequests - active);
    if (position < 0) return 0;
    const round = Math.floor(position / this.options.maxRequests);
    const oldest = this.grants[this.grantsHead + (position % this.options.maxRequests)] ?? now;
    return Math.max(0, oldest + this.options.windowMs * (round + 1) - now);
  }

  /** Takes a slot now if one is free and nobody is waiting; spares the common case a promise. */
  tryAcquire(): boolean {
    return this.closedWith === null && this.queue.length === 0 && this.tryGrant();
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.queue.length === 0 && this.tryGrant()) return Promise.resolve();
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(
        new AppError('rate_limited', `Too many store requests are waiting (${this.options.maxQueue}); try again shortly`, {
          maxRequests: this.options.maxRequests,
          windowMs: this.options.windowMs,
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(abortReason(signal!));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
      this.armTimer();
    });
  }

  /** Rejects every waiting caller with `error`; later calls fail with it too. */
  close(error: AppError): void {
    this.closedWith = error;
    this.cancelTimer?.();
    this.cancelTimer = null;
    for (const waiter of this.queue.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(error);
    }
  }

  private activeGrants(now: number): number {
    while (this.grantsHead < this.grants.length && this.grants[this.grantsHead]! <= now - this.options.windowMs) {
      this.grantsHead++;
    }
    if (this.grantsHead > 1024 && this.grantsHead * 2 > this.grants.length) {
      this.grants.splice(0, this.grantsHead);
      this.grantsHead = 0;
    }
    return this.grants.length - this.grantsHead;
  }

  private tryGrant(): boolean {
    const now = this.clock.now();
    if (this.activeGrants(now) >= this.options.maxRequests) return false;
    this.grants.push(now);
    return true;
  }

  private drain(): void {
    this.cancelTimer = null;
    while (this.queue.length > 0 && this.tryGrant()) {
      const waiter = this.queue.shift()!;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.armTimer();
  }

  private armTimer(): void {
    if (this.cancelTimer || this.queue.length === 0) return;
    const oldest = this.grants[this.grantsHead];
    const wait = oldest === undefined ? 0 : Math.max(0, oldest + this.options.windowMs - this.clock.now());
    this.cancelTimer = this.clock.schedule(() => this.drain(), wait);
  }
}
