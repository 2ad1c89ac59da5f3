import type { ToolNotice } from './tool';

/** More notices than this from one call are not streamed (a call waits a few times at most). */
const MAX_RELAYED = 20;

/**
 * The notices one tool call sends while it runs, handed to the run's event stream as they come: the
 * runner's generator cannot yield while it awaits the tool, so it awaits either the next notice or
 * the tool's end.
 */
export class ToolNotices {
  private readonly queue: ToolNotice[] = [];
  private wake: (() => void) | null = null;

  readonly push = (notice: ToolNotice): void => {
    this.queue.push(notice);
    this.wake?.();
  };

  /** Yields each notice (as `event` makes it) until `work` settles, then returns what it gave. */
  async *relay<R, E>(work: Promise<R>, event: (notice: ToolNotice) => E): AsyncGenerator<E, R, undefined> {
    let settled = false;
    const done = work.finally(() => {
      settled = true;
      this.wake?.();
    });
    // Watched here only so an abandoned relay leaves no unhandled rejection; the failure reaches the caller below.
    done.catch(() => undefined);
    for (let relayed = 0; relayed < MAX_RELAYED;) {
      while (this.queue.length > 0 && relayed < MAX_RELAYED) {
        relayed++;
        yield event(this.queue.shift()!);
      }
      if (settled) break;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    return await done;
  }
}
