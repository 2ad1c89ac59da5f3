import crypto from 'node:crypto';
import {
  formatHlc,
  type EnrollResponse,
  type JsonValue,
  type LiveEvent,
  type PullResponse,
  type PushResponse,
  type SyncChange,
  type SyncErrorBody,
  type SyncOp,
} from '@shared/sync';

/**
 * A light desk speaking the sync protocol over fetch: what the hub tests and the benchmark use in
 * place of a real desk (src/main/sync is the real one). It keeps its own hybrid logical clock.
 */

export type Answer<T> = { status: number; body: T | SyncErrorBody };
type Op<K extends SyncOp['kind']> = Extract<SyncOp, { kind: K }>;

export async function enrollDesk(hubUrl: string, code: string): Promise<HubClient> {
  const response = await fetch(`${hubUrl}/sync/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  const body = (await response.json()) as EnrollResponse | SyncErrorBody;
  if (!response.ok || 'error' in body) throw new Error(`enrollment failed: ${response.status} ${JSON.stringify(body)}`);
  return new HubClient(hubUrl, body.token, body.deskId);
}

export class HubClient {
  private wallMs = 0;
  private counter = 0;

  constructor(
    public hubUrl: string,
    readonly token: string,
    readonly deskId: string,
  ) {}

  /** The next stamp of this desk's clock: never below the wall clock, always increasing. */
  hlc(wallMs = Date.now()): string {
    if (wallMs > this.wallMs) {
      this.wallMs = wallMs;
      this.counter = 0;
    } else this.counter++;
    return formatHlc(this.wallMs, this.counter, this.deskId);
  }

  put(customerId: string, key: string, value: JsonValue, hlc = this.hlc()): Op<'memory.put'> {
    return { id: crypto.randomUUID(), kind: 'memory.put', customerId, key, value, hlc };
  }

  forget(customerId: string, key: string, hlc = this.hlc()): Op<'memory.forget'> {
    return { id: crypto.randomUUID(), kind: 'memory.forget', customerId, key, hlc };
  }

  erase(customerId: string, hlc = this.hlc()): Op<'customer.erase'> {
    return { id: crypto.randomUUID(), kind: 'customer.erase', customerId, hlc };
  }

  customer(customerId: string, displayName: string | null, hlc = this.hlc()): Op<'customer.put'> {
    return { id: crypto.randomUUID(), kind: 'customer.put', customerId, displayName, phone: null, membershipNumber: null, hlc };
  }

  summary(customerId: string, text: string, hlc = this.hlc()): Op<'summary.add'> {
    return {
      id: crypto.randomUUID(),
      kind: 'summary.add',
      customerId,
      hlc,
      summaryId: crypto.randomUUID(),
      createdAt: Date.now(),
      summary: { text, facts: [], preferences: [] },
    };
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, ...extra };
  }

  async pushRaw(body: string, contentType = 'application/json'): Promise<Answer<PushResponse>> {
    const response = await fetch(`${this.hubUrl}/sync/push`, { method: 'POST', headers: this.headers({ 'content-type': contentType }), body });
    return { status: response.status, body: (await response.json()) as PushResponse | SyncErrorBody };
  }

  push(ops: readonly unknown[]): Promise<Answer<PushResponse>> {
    return this.pushRaw(JSON.stringify({ ops }));
  }

  /** Pushes and insists on success (for setting up a test), retrying 503s as a desk does. */
  async pushOk(ops: readonly SyncOp[]): Promise<PushResponse> {
    const answer = await retryUnavailable(() => this.push(ops));
    if (answer.status !== 200 || 'error' in answer.body) throw new Error(`push refused: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** `at`: the op id the desk has at seq `after`, for the hub to check. */
  async pull(after: number, limit?: number, at?: string): Promise<Answer<PullResponse>> {
    const query = `after=${after}${limit === undefined ? '' : `&limit=${limit}`}${at === undefined ? '' : `&at=${at}`}`;
    const response = await fetch(`${this.hubUrl}/sync/pull?${query}`, { headers: this.headers() });
    return { status: response.status, body: (await response.json()) as PullResponse | SyncErrorBody };
  }

  /** Every change after `after`, page by page (at most `maxPages`). */
  async pullAll(after = 0, maxPages = 10_000): Promise<SyncChange[]> {
    const changes: SyncChange[] = [];
    await this.pullEach(after, (page) => void changes.push(...page), maxPages);
    return changes;
  }

  /** Hands each page after `after` to `visit` without keeping it; returns the final cursor. */
  async pullEach(after: number, visit: (changes: SyncChange[]) => void, maxPages = 10_000): Promise<number> {
    let cursor = after;
    for (let page = 0; page < maxPages; page++) {
      const answer = await retryUnavailable(() => this.pull(cursor));
      if (answer.status !== 200 || 'error' in answer.body) throw new Error(`pull refused: ${answer.status} ${JSON.stringify(answer.body)}`);
      visit(answer.body.changes);
      cursor = answer.body.cursor;
      if (!answer.body.more) return cursor;
    }
    throw new Error(`more than ${maxPages} pages to pull`);
  }

  /** Opens `GET /sync/live`; resolves once the hub answered 200 (its first event names the newest seq). */
  async live(): Promise<LiveStream> {
    const controller = new AbortController();
    const response = await fetch(`${this.hubUrl}/sync/live`, { headers: this.headers(), signal: controller.signal });
    return new LiveStream(response, controller);
  }
}

/** Runs `call` again while the hub answers 503 (busy or its database restarting), with capped backoff, a bounded number of times. */
async function retryUnavailable<T>(call: () => Promise<Answer<T>>, attempts = 10): Promise<Answer<T>> {
  let answer = await call();
  for (let attempt = 1; attempt < attempts && answer.status === 503; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
    answer = await call();
  }
  return answer;
}

/** The events of one live stream, collected as they come. */
export class LiveStream {
  readonly events: LiveEvent[] = [];
  readonly comments: string[] = [];
  /** Resolves when the hub ends the stream (or it breaks). */
  readonly ended: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    this.ended = this.read().finally(() => this.wake());
  }

  get status(): number {
    return this.response.status;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private async read(): Promise<void> {
    if (!this.response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of this.response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of block.split('\n')) {
            if (line.startsWith('data: ')) this.events.push(JSON.parse(line.slice(6)) as LiveEvent);
            else if (line.startsWith(':')) this.comments.push(line);
          }
          end = buffer.indexOf('\n\n');
        }
        this.wake();
      }
    } catch {
      // Aborted by close() or cut by the hub: `ended` says so either way.
    }
  }

  /** Waits until an event satisfies `predicate` (or fails after `timeoutMs`). */
  async waitFor(predicate: (event: LiveEvent) => boolean, timeoutMs = 10_000): Promise<LiveEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no live event matched within ${timeoutMs} ms (got ${JSON.stringify(this.events)})`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, left))),
        this.ended,
      ]);
      clearTimeout(timer);
      if (!this.events.some(predicate) && (await isSettled(this.ended)))
        throw new Error(`the live stream ended before a matching event (got ${JSON.stringify(this.events)})`);
    }
  }

  close(): void {
    this.controller.abort();
  }
}

async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([promise.then(() => true), Promise.resolve(marker)])) === true;
}
