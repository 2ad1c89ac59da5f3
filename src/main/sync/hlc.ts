import { formatHlc, parseHlc, type Hlc } from '@shared/sync';
import type { Clock } from '../core/clock';

/** The counter has six digits in a stamp: past it, the stamp moves to the next millisecond. */
const MAX_COUNTER = 999_999;

/**
 * The desk's hybrid logical clock: every stamp it gives is greater than every stamp it gave or saw
 * before, in string order, even when the wall clock goes backwards (a stamp then reuses the last
 * wall time with the next counter). It starts from the greatest stamp the data file holds (see
 * `SyncState.lastStamp`), so it stays monotonic across restarts.
 */
export class HybridClock {
  private wallMs = 0;
  private counter = 0;

  constructor(
    private readonly clock: Clock,
    private deskId: string,
    last: Hlc | null,
  ) {
    if (last !== null) this.observe(last);
  }

  /** The desk id stamps end with (a new enrollment gives a new one). */
  setDesk(deskId: string): void {
    this.deskId = deskId;
  }

  /** A new stamp, greater than every one given or observed. */
  next(): Hlc {
    const now = Math.floor(this.clock.now());
    if (now > this.wallMs) {
      this.wallMs = now;
      this.counter = 0;
    } else if (this.counter >= MAX_COUNTER) {
      this.wallMs += 1;
      this.counter = 0;
    } else {
      this.counter += 1;
    }
    return formatHlc(this.wallMs, this.counter, this.deskId);
  }

  /** Takes in a stamp seen elsewhere (another desk's change): later stamps of this desk are greater. */
  observe(stamp: Hlc): void {
    const { wallMs, counter } = parseHlc(stamp);
    if (!Number.isFinite(wallMs) || !Number.isFinite(counter)) return;
    if (wallMs > this.wallMs || (wallMs === this.wallMs && counter > this.counter)) {
      this.wallMs = wallMs;
      this.counter = counter;
    }
  }

  /** The last stamp given or observed (what is persisted), or null before any. */
  last(): Hlc | null {
    return this.wallMs === 0 ? null : formatHlc(this.wallMs, this.counter, this.deskId);
  }
}
