import type { StoreCause, StoreWait } from '@shared/commerce';
import { AppError } from '@shared/errors';
import { AbortScope } from '../core/abortScope';
import type { Clock } from '../core/clock';
import type { GraphQLCall } from './transport';

/** What an interactive operation takes besides its own input: the caller's cancel, and who hears about waits. */
export interface InteractiveInput {
  signal?: AbortSignal;
  /** Told after `SLOW_NOTICE_MS` without an answer, and of every wait in the rate limiter or before a retry. */
  onWait?: (wait: StoreWait) => void;
}

/** What each store call of an operation is sent with. */
export type CallContext = Pick<GraphQLCall, 'signal' | 'deadlineAt' | 'onWait'>;

/** After this long without an answer the staff hear that the store is slow ("Đang chờ cửa hàng trả lời…"). */
export const SLOW_NOTICE_MS = 2000;

/** The interactive deadline when the settings name none. */
export const DEFAULT_INTERACTIVE_DEADLINE_MS = 10_000;

/**
 * One interactive store operation (a search with its fallback steps, a product, a cart change): it
 * answers or fails within its deadline whatever the retries, says after 2 s that it is still
 * waiting, passes on every wait (queued, retrying), and its timeout names the last real failure
 * when there was one (`details.lastCause`).
 */
export class InteractiveCall {
  private readonly scope: AbortScope;
  private readonly cancelSlowNotice: () => void;
  private lastCause: StoreCause | null = null;
  readonly context: CallContext;

  private constructor(
    clock: Clock,
    private readonly deadlineMs: number,
    private readonly input: InteractiveInput,
  ) {
    this.scope = new AbortScope(input.signal, deadlineMs, () => this.timeout(), clock);
    this.cancelSlowNotice = clock.schedule(() => this.hear({ reason: 'slow', waitMs: SLOW_NOTICE_MS }), SLOW_NOTICE_MS);
    this.context = { signal: this.scope.signal, deadlineAt: clock.now() + deadlineMs, onWait: (wait) => this.hear(wait) };
  }

  /** Runs `work` under a fresh deadline; whatever it left running is stopped when it ends. */
  static async run<T>(clock: Clock, deadlineMs: number, input: InteractiveInput, work: (call: CallContext) => Promise<T>): Promise<T> {
    const call = new InteractiveCall(clock, deadlineMs, input);
    try {
      return await work(call.context);
    } finally {
      call.cancelSlowNotice();
      call.scope.dispose();
    }
  }

  private hear(wait: StoreWait): void {
    if (wait.cause) this.lastCause = wait.cause;
    this.input.onWait?.(wait);
  }

  private timeout(): AppError {
    const seconds = Math.round(this.deadlineMs / 1000);
    const last = this.lastCause ? `; the last try failed with ${this.lastCause.code}` : '';
    return new AppError('timeout', `The store did not answer within ${seconds} s${last}`, {
      deadlineMs: this.deadlineMs,
      ...(this.lastCause ? { lastCause: this.lastCause } : {}),
    });
  }
}
