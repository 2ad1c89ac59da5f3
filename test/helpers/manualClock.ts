import type { Clock } from '../../src/main/core/clock';

/**
 * The tests' clock (the app's `Clock`): time moves only when told to, and due timers fire in time
 * order as it does. `advanceTo` is synchronous (memory's jobs run inside the timer);
 * `advance` also lets promises settle after each timer (the store and model clients await).
 */
export class ManualClock implements Clock {
  private timers: { at: number; seq: number; callback: () => void }[] = [];
  private seq = 0;

  constructor(public current = 0) {}

  now(): number {
    return this.current;
  }

  schedule(callback: () => void, ms: number): () => void {
    const timer = { at: this.current + Math.max(0, ms), seq: this.seq++, callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((candidate) => candidate !== timer);
    };
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Moves time to `to`, firing each due timer at its own time; bounded in count. */
  advanceTo(to: number): void {
    for (let fired = 0; fired < 10_000; fired++) {
      const next = this.nextDue(to);
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      next.callback();
    }
    this.current = Math.max(this.current, to);
  }

  /** Moves time forward by `ms`, running every timer that falls due, letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (let fired = 0; fired < 10_000; fired++) {
      const next = this.nextDue(end);
      if (!next) break;
      this.current = next.at;
      next.callback();
      await flush();
    }
    this.current = end;
    await flush();
  }

  private nextDue(until: number): { at: number; callback: () => void } | undefined {
    const next = this.timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
    if (next) this.timers = this.timers.filter((timer) => timer !== next);
    return next;
  }
}

/** Lets pending promise callbacks and I/O callbacks run (a few turns of the event loop). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
