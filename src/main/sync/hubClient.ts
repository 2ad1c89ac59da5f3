import type { Agent, request as undiciRequest } from 'undici';
import type { EnrollResponse, LiveEvent, PullResponse, PushResponse, SyncErrorBody, SyncErrorCode } from '@shared/sync';
import { parseRetryAfter } from '../core/retryAfter';

/** Why a call to the hub failed: it could not be reached (or answered garbage), or it refused with a typed error. */
export class HubCallError extends Error {
  constructor(
    readonly kind: 'network' | 'refused',
    /** HTTP status when the hub answered. */
    readonly status: number | null,
    /** The hub's code when it refused (`SyncErrorBody`). */
    readonly code: SyncErrorCode | null,
    /** Where in a refused batch the problem is, when the hub says (zod issue paths). */
    readonly details: unknown,
    readonly retryAfterMs: number | null,
    cause?: unknown,
  ) {
    super(kind === 'network' ? 'the hub could not be reached' : `the hub refused the request (${status ?? '?'} ${code ?? ''})`, { cause });
    this.name = 'HubCallError';
  }

  /** Worth trying again later: unreachable, overloaded, or a fault on its side. */
  get transient(): boolean {
    return this.kind === 'network' || this.status === null || this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

export interface HubClientOptions {
  /** Per call: connecting, waiting for the answer's headers, and between body chunks. */
  timeoutMs: number;
  /** The live stream's silence limit: the hub sends a heartbeat every 15 s. */
  liveSilenceMs: number;
}

const defaults: HubClientOptions = { timeoutMs: 30_000, liveSilenceMs: 40_000 };

/**
 * The hub's HTTP API as the desk speaks it (src/shared/sync.ts): enroll, push, pull and the live
 * stream, over one undici agent (loaded on first use). Nothing here logs: the caller logs codes.
 */
export class HubClient {
  private agent: Agent | null = null;
  private loading: Promise<{ agent: Agent; request: typeof undiciRequest }> | null = null;
  private readonly options: HubClientOptions;

  constructor(
    readonly baseUrl: string,
    private readonly token: () => string | null,
    options: Partial<HubClientOptions> = {},
  ) {
    this.options = { ...defaults, ...options };
  }

  enroll(code: string): Promise<EnrollResponse> {
    return this.call<EnrollResponse>('POST', '/sync/enroll', JSON.stringify({ code }), false);
  }

  /** `body` is the request's JSON text (`{"ops":[…]}`), built from the outbox's op texts. */
  push(body: string, signal?: AbortSignal): Promise<PushResponse> {
    return this.call<PushResponse>('POST', '/sync/push', body, true, signal);
  }

  /** `at`: the op id of the change at seq `after`, for the hub to check (see `PullResponse`). */
  pull(after: number, limit: number, at: string | null, signal?: AbortSignal): Promise<PullResponse> {
    const check = at === null || after === 0 ? '' : `&at=${encodeURIComponent(at)}`;
    return this.call<PullResponse>('GET', `/sync/pull?after=${after}&limit=${limit}${check}`, null, true, signal);
  }

  /**
   * Reads the live stream until it ends, the signal aborts, or it stays silent too long; calls
   * `onOpen` once the hub answered and `onEvent` for each `data:` line. Rejects with a
   * `HubCallError` when it cannot be opened.
   */
  async live(onOpen: () => void, onEvent: (event: LiveEvent) => void, signal: AbortSignal): Promise<void> {
    const { agent, request } = await this.load();
    let response: Awaited<ReturnType<typeof undiciRequest>>;
    try {
      response = await request(new URL('/sync/live', this.baseUrl), {
        method: 'GET',
        dispatcher: agent,
        headers: { accept: 'text/event-stream', ...this.auth() },
        signal,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.liveSilenceMs,
      });
    } catch (error) {
      throw new HubCallError('network', null, null, undefined, null, error);
    }
    if (response.statusCode !== 200) throw await refusal(response);
    onOpen();
    let buffered = '';
    try {
      for await (const chunk of response.body) {
        buffered += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
        // Bounded: a stream that never sends a blank line cannot grow the buffer past 64 KB.
        if (buffered.length > 65_536) buffered = buffered.slice(-65_536);
        let end = buffered.indexOf('\n\n');
        for (let guard = 0; end >= 0 && guard < 10_000; guard++) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          for (const line of block.split('\n')) {
            if (!line.startsWith('data:')) continue;
            const event = parseLive(line.slice(5).trim());
            if (event) onEvent(event);
          }
          end = buffered.indexOf('\n\n');
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw new HubCallError('network', null, null, undefined, null, error);
    }
  }

  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = null;
    this.loading = null;
    if (agent) await agent.destroy();
  }

  private auth(): Record<string, string> {
    const token = this.token();
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  private load(): Promise<{ agent: Agent; request: typeof undiciRequest }> {
    this.loading ??= import('undici').then(({ Agent: UndiciAgent, request }) => {
      const agent = new UndiciAgent({
        connections: 4,
        connectTimeout: this.options.timeoutMs,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        keepAliveTimeout: 10_000,
      });
      this.agent = agent;
      return { agent, request };
    });
    return this.loading;
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body: string | null, authorized: boolean, signal?: AbortSignal): Promise<T> {
    const { agent, request } = await this.load();
    let response: Awaited<ReturnType<typeof undiciRequest>>;
    try {
      response = await request(new URL(path, this.baseUrl), {
        method,
        dispatcher: agent,
        headers: { accept: 'application/json', ...(body === null ? {} : { 'content-type': 'application/json' }), ...(authorized ? this.auth() : {}) },
        body,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw new HubCallError('network', null, null, undefined, null, error);
    }
    if (response.statusCode !== 200) throw await refusal(response);
    try {
      return (await response.body.json()) as T;
    } catch (error) {
      // Cut off mid-answer, or not JSON: as good as unreachable.
      throw new HubCallError('network', response.statusCode, null, undefined, null, error);
    }
  }
}

async function refusal(response: Awaited<ReturnType<typeof undiciRequest>>): Promise<HubCallError> {
  let code: SyncErrorCode | null = null;
  let details: unknown;
  try {
    const body = (await response.body.json()) as Partial<SyncErrorBody>;
    if (body.error && typeof body.error.code === 'string') {
      code = body.error.code;
      details = body.error.details;
    }
  } catch {
    // A proxy's HTML page or an empty body: the status alone says what happened.
    code = null;
  }
  const retryAfter = parseRetryAfter(response.headers['retry-after'], Date.now());
  return new HubCallError('refused', response.statusCode, code, details, retryAfter);
}

function parseLive(text: string): LiveEvent | null {
  try {
    const value = JSON.parse(text) as { seq?: unknown };
    return typeof value.seq === 'number' && Number.isFinite(value.seq) ? { seq: value.seq } : null;
  } catch {
    // A line that is not an event of the protocol is ignored, as SSE clients do.
    return null;
  }
}
