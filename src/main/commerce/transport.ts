import type { Agent, request as undiciRequest } from 'undici';
import { LRUCache } from 'lru-cache';
import type { StoreCause, StoreWait } from '@shared/commerce';
import { AppError } from '@shared/errors';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuitBreaker';
import { abortReason, sleep, systemClock, type Clock } from '../core/clock';
import { parseRetryAfter } from '../core/retryAfter';
import { errorFacts, silentLogger, type Logger } from '../core/logger';
import { RateLimiter, type RateLimitOptions } from './rateLimiter';

export interface RetryOptions {
  /** Total tries of a query, the first included. Mutations are tried once, always. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the call fails with `rate_limited`. */
  maxRetryAfterMs: number;
}

export interface TransportOptions {
  endpoint: string;
  storeCode: string;
  userAgent: string;
  connectionsPerOrigin: number;
  /** Bound on sockets across origins; with `connectionsPerOrigin` it fixes how many origins may be pooled. */
  maxConnections: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Overall deadline of a call that names none (background work), retries and waits included. */
  deadlineMs: number;
  retry: RetryOptions;
  rateLimit: RateLimitOptions;
  breaker: CircuitBreakerOptions;
  /** TTL cache for cacheable queries; `maxEntries: 0` turns it off. */
  cache: { ttlMs: number; maxEntries: number };
  /** Extra CA certificates (PEM) to trust, for a store behind a private CA. */
  ca?: string;
  /** Cacheable queries go as GET (HTTP-cacheable on Magento's side); mutations are always POST. */
  getForQueries: boolean;
  clock: Clock;
  random: () => number;
  /** Waits between retries; defaults to the clock. Tests inject one that records the delays. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Retries, failed calls and the circuit opening and closing (the composition root passes the
   * `commerce` child). Lines name the operation, the code, the HTTP status and timings; never the
   * variables (a customer's cart id, a search text) nor the store's error messages, which quote them.
   */
  logger?: Logger;
}

export const defaultTransportOptions: Omit<TransportOptions, 'endpoint'> = {
  storeCode: 'b2c_10010_vi',
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 MMAssistant/0.1',
  connectionsPerOrigin: 30,
  maxConnections: 100,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  keepAliveTimeoutMs: 30_000,
  deadlineMs: 120_000,
  retry: { attempts: 3, baseDelayMs: 1000, maxDelayMs: 15_000, maxRetryAfterMs: 60_000 },
  rateLimit: { maxRequests: 100, windowMs: 60_000, maxQueue: 500 },
  breaker: { failureThreshold: 5, openMs: 30_000 },
  cache: { ttlMs: 60_000, maxEntries: 500 },
  getForQueries: true,
  clock: systemClock,
  random: Math.random,
};

export interface GraphQLCall {
  query: string;
  variables?: Record<string, unknown>;
  kind: 'query' | 'mutation';
  /** Cacheable queries are served from the TTL cache and may go as GET. */
  cacheable?: boolean;
  signal?: AbortSignal;
  /**
   * When the caller must have its answer (clock time); its `signal` aborts then. A retry or a wait
   * in the rate limiter that would end after it is not started: the call fails at once with the
   * reason it would have waited for.
   */
  deadlineAt?: number;
  /** Told when the call waits: queued by the rate limiter, or retrying after a failure (with its cause). */
  onWait?: (wait: StoreWait) => void;
}

interface InFlight {
  promise: Promise<unknown>;
  controller: AbortController;
  callers: number;
  /** Every caller's wait listener; the shared request's waits are told to all of them. */
  listeners: Set<(wait: StoreWait) => void>;
  /** The latest deadline among the callers: retries and queue waits past it are pointless. */
  deadline: { at: number };
}

/** Magento error categories (`extensions.category`) and the codes they become. */
const categoryCodes: Record<string, AppError['code']> = {
  'graphql-input': 'store_input',
  'graphql-no-such-entity': 'store_not_found',
};

/**
 * The one HTTP path to the store: one undici Agent (bounded, keep-alive), rate limiter, circuit
 * breaker, retries for queries only, in-flight sharing and a TTL cache. `close()` rejects what is
 * queued or running with `closed` and leaves no socket open.
 */
export class GraphQLTransport {
  readonly options: TransportOptions;
  /** undici loads with the first call to the store, not at app start (it costs ~100 ms to load). */
  private pool: Promise<{ agent: Agent; request: typeof undiciRequest }> | null = null;
  private agent: Agent | null = null;
  private readonly limiter: RateLimiter;
  readonly breaker: CircuitBreaker;
  private readonly cache: LRUCache<string, { value: unknown }> | null;
  private readonly inFlight = new Map<string, InFlight>();
  /** One controller per running call; `close()` aborts them all. */
  private readonly running = new Set<AbortController>();
  private closing: Promise<void> | null = null;
  /** Errors worth another try (transport failures, 5xx, 429); a GraphQL error never is. */
  private readonly retryable = new WeakMap<AppError, { retryAfterMs: number | null }>();
  private readonly log: Logger;

  constructor(options: Partial<TransportOptions> & { endpoint: string }) {
    this.options = { ...defaultTransportOptions, ...options };
    const o = this.options;
    this.log = o.logger ?? silentLogger();
    this.limiter = new RateLimiter(o.rateLimit, o.clock);
    this.breaker = new CircuitBreaker(o.breaker, o.clock, this.log);
    this.cache = o.cache.maxEntries > 0 ? new LRUCache({ max: o.cache.maxEntries, ttl: o.cache.ttlMs }) : null;
  }

  private connection(): Promise<{ agent: Agent; request: typeof undiciRequest }> {
    this.pool ??= import('undici').then(({ Agent, request }) => {
      const o = this.options;
      this.agent = new Agent({
        connections: o.connectionsPerOrigin,
        maxOrigins: Math.max(1, Math.floor(o.maxConnections / o.connectionsPerOrigin)),
        pipelining: 1,
        connectTimeout: o.connectTimeoutMs,
        headersTimeout: o.headersTimeoutMs,
        bodyTimeout: o.bodyTimeoutMs,
        keepAliveTimeout: o.keepAliveTimeoutMs,
        ...(o.ca ? { connect: { ca: o.ca } } : {}),
      });
      return { agent: this.agent, request };
    });
    return this.pool;
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  /** Sockets the pool holds open right now, across origins. */
  openSockets(): number {
    if (!this.agent) return 0;
    return Object.values(this.agent.stats).reduce((sum, stats) => sum + Number(stats.connected), 0);
  }

  async execute<T>(call: GraphQLCall): Promise<T> {
    if (this.closing) throw closedError();
    if (call.signal?.aborted) throw abortReason(call.signal);
    if (call.kind === 'mutation') {
      const deadlineAt = call.deadlineAt ?? Infinity;
      const notify = (wait: StoreWait) => call.onWait?.(wait);
      return (await this.logged(
        call,
        this.withDeadline(new AbortController(), call.signal, (signal) => this.attempt(call, signal, deadlineAt, notify)),
      )) as T;
    }

    const key = JSON.stringify([call.query, call.variables ?? null]);
    const cached = call.cacheable ? this.cache?.get(key) : undefined;
    if (cached) return cached.value as T;

    let shared = this.inFlight.get(key);
    if (!shared) {
      const controller = new AbortController();
      // The first caller hears from the start: the request may queue before `follow` runs.
      const listeners = new Set<(wait: StoreWait) => void>(call.onWait ? [call.onWait] : []);
      const notify = (wait: StoreWait) => {
        for (const listener of listeners) listener(wait);
      };
      const deadline = { at: call.deadlineAt ?? Infinity };
      const entry: InFlight = {
        controller,
        callers: 0,
        listeners,
        deadline,
        // Logged once here, however many callers share the request.
        promise: this.logged(
          call,
          this.withDeadline(controller, undefined, (signal) => this.withRetries(call, signal, () => deadline.at, notify)),
        ).then((value) => {
          if (call.cacheable) this.cache?.set(key, { value });
          return value;
        }),
      };
      entry.promise
        .finally(() => {
          if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
        })
        // The failure reaches every caller through `follow` and was logged by `logged`; this copy only clears the entry.
        .catch(() => undefined);
      this.inFlight.set(key, entry);
      shared = entry;
    } else {
      shared.deadline.at = Math.max(shared.deadline.at, call.deadlineAt ?? Infinity);
    }
    return (await this.follow(key, shared, call)) as T;
  }

  /**
   * One product image (for the image cache, src/main/images) over the same pooled connections: a
   * plain GET, no retries, redirects not followed, the body read only up to `maxBytes` (a larger
   * one rejects). Aborted by `signal`, the call deadline and `close()`. Which URLs may be fetched
   * is the image cache's decision.
   */
  fetchImage(url: string, options: { maxBytes: number; signal?: AbortSignal }): Promise<{ statusCode: number; contentType: string; body: Buffer }> {
    return this.withDeadline(new AbortController(), options.signal, async (signal) => {
      const { agent, request } = await this.connection();
      const response = await request(url, {
        method: 'GET',
        headers: { Accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif,image/svg+xml', 'User-Agent': this.options.userAgent },
        signal,
        dispatcher: agent,
      });
      const tooLarge = () => new AppError('store_error', `The image is larger than ${options.maxBytes} bytes`);
      if (Number(response.headers['content-length'] ?? 0) > options.maxBytes) {
        // Not read at all: the socket goes (the abort it reports is this one, expected).
        response.body.once('error', () => undefined);
        response.body.destroy();
        throw tooLarge();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      // Leaving the loop early (too large) destroys the body.
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > options.maxBytes) throw tooLarge();
        chunks.push(chunk);
      }
      return { statusCode: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body: Buffer.concat(chunks) };
    });
  }

  /** Idempotent: rejects queued and running calls with `closed`, then destroys every socket. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const error = closedError();
      this.limiter.close(error);
      for (const controller of this.running) controller.abort(error);
      this.cache?.clear();
      if (this.pool) {
        await (await this.pool).agent.destroy(error).catch((failure: unknown) => {
          // Closing goes on: the sockets are gone with the process at the latest.
          this.log.warn({ err: failure }, 'the store connection pool did not close cleanly');
        });
      }
    })();
    return this.closing;
  }

  /**
   * Logs a call that failed for good (after its retries), by how much it matters: the store
   * unreachable or too slow is an error; refused or rate-limited a warning; an answer such as "no
   * such entity", a cancel or a closed client only at debug level. Rethrows the failure unchanged.
   */
  private async logged<T>(call: GraphQLCall, work: Promise<T>): Promise<T> {
    const started = this.options.clock.now();
    try {
      return await work;
    } catch (error) {
      const facts = errorFacts(error);
      this.log[failureLevel(facts.code)](
        { operation: operationName(call.query), kind: call.kind, ...facts, durationMs: this.options.clock.now() - started },
        'store call failed',
      );
      throw error;
    }
  }

  /** One caller's view of a shared request; the request is aborted once every caller gave up. */
  private follow(key: string, shared: InFlight, call: GraphQLCall): Promise<unknown> {
    const { signal, onWait } = call;
    shared.callers++;
    if (onWait) {
      shared.listeners.add(onWait);
      shared.promise.finally(() => shared.listeners.delete(onWait)).catch(() => undefined);
    }
    if (!signal) return shared.promise;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (onWait) shared.listeners.delete(onWait);
        shared.callers--;
        if (shared.callers === 0) {
          // A later identical call must start afresh, not join the abandoned request.
          if (this.inFlight.get(key) === shared) this.inFlight.delete(key);
          shared.controller.abort(abortReason(signal));
        }
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      shared.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Runs `run` under `controller`, which the deadline, the caller's signal or `close()` abort (cheaper than AbortSignal.any per call). */
  private async withDeadline<T>(
    controller: AbortController,
    callerSignal: AbortSignal | undefined,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (this.closing) throw closedError();
    this.running.add(controller);
    const cancel = this.options.clock.schedule(
      () => controller.abort(new AppError('timeout', `The store did not answer within ${this.options.deadlineMs} ms`)),
      this.options.deadlineMs,
    );
    const onCallerAbort = () => controller.abort(abortReason(callerSignal!));
    if (callerSignal?.aborted) onCallerAbort();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      return await run(controller.signal);
    } finally {
      cancel();
      callerSignal?.removeEventListener('abort', onCallerAbort);
      this.running.delete(controller);
    }
  }

  private async withRetries(call: GraphQLCall, signal: AbortSignal, deadlineAt: () => number, notify: (wait: StoreWait) => void): Promise<unknown> {
    const { attempts, baseDelayMs, maxDelayMs, maxRetryAfterMs } = this.options.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(call, signal, deadlineAt(), notify);
      } catch (error) {
        const retry = error instanceof AppError ? this.retryable.get(error) : undefined;
        if (!retry || attempt >= attempts || signal.aborted) throw error;
        const backoff = baseDelayMs * 2 ** (attempt - 1);
        const jittered = Math.min(maxDelayMs, backoff / 2 + this.options.random() * (backoff / 2));
        if (retry.retryAfterMs !== null && retry.retryAfterMs > maxRetryAfterMs) throw error;
        const delay = Math.max(jittered, retry.retryAfterMs ?? 0);
        // A retry that could not end before the caller's deadline: the caller hears the real cause now.
        if (this.options.clock.now() + delay >= deadlineAt()) throw error;
        const { code, httpStatus, cause } = errorFacts(error);
        this.log.warn(
          { operation: operationName(call.query), code, httpStatus, cause, attempt, delayMs: Math.round(delay) },
          'store call failed; retrying',
        );
        notify({ reason: 'retrying', waitMs: Math.round(delay), cause: storeCauseOf(error) });
        await (this.options.sleep ? this.options.sleep(delay, signal) : sleep(this.options.clock, delay, signal));
        if (signal.aborted) throw abortReason(signal);
      }
    }
  }

  private async attempt(call: GraphQLCall, signal: AbortSignal, deadlineAt: number, notify: (wait: StoreWait) => void): Promise<unknown> {
    this.breaker.enter();
    let verdict: 'up' | 'down' | 'none' = 'none';
    let failure: AppError | null = null;
    try {
      if (!this.limiter.tryAcquire()) await this.queue(signal, deadlineAt, notify);
      const { statusCode, headers, text } = await this.send(call, signal);
      const retryAfterMs = parseRetryAfter(headers['retry-after'], this.options.clock.now());
      if (statusCode === 429) {
        verdict = 'up';
        throw this.markRetryable(new AppError('rate_limited', 'The store asks to slow down', { status: statusCode, retryAfterMs }), retryAfterMs);
      }
      const contentType = String(headers['content-type'] ?? '');
      const body = contentType.includes('json') ? parseJson(text) : undefined;
      if (statusCode >= 500 || body === undefined) {
        verdict = 'down';
        const maintenance = body === undefined && /<html/i.test(text);
        throw this.markRetryable(
          new AppError(
            'store_unavailable',
            maintenance ? 'The store is under maintenance' : `The store answered HTTP ${statusCode} without usable data`,
            { status: statusCode, retryAfterMs, ...(maintenance ? { maintenance: true } : {}) },
          ),
          retryAfterMs,
        );
      }
      verdict = 'up';
      return resultOf(body, statusCode);
    } catch (error) {
      // Every failure leaves as a typed error; `withRetries` and `logged` decide on retrying and logging.
      if (signal.aborted) {
        const reason = abortReason(signal);
        // A store that holds the call past its deadline counts against the store; a cancel does not.
        if (reason.code === 'timeout' && verdict === 'none') [verdict, failure] = ['down', reason];
        throw reason;
      }
      if (error instanceof AppError) {
        failure = error;
        throw error;
      }
      verdict = 'down';
      failure = this.markRetryable(networkError(error), null);
      throw failure;
    } finally {
      if (verdict === 'up') this.breaker.success();
      else if (verdict === 'down') this.breaker.failure(failure ? storeCauseOf(failure) : null);
      else this.breaker.release();
    }
  }

  /**
   * Waits for a slot of the app's own rate limit, telling the caller how long that should take; a
   * wait that would end after the caller's deadline is refused at once with `rate_limited`.
   */
  private async queue(signal: AbortSignal, deadlineAt: number, notify: (wait: StoreWait) => void): Promise<void> {
    const waitMs = this.limiter.expectedWaitMs();
    if (this.options.clock.now() + waitMs >= deadlineAt) {
      const { maxRequests, windowMs } = this.options.rateLimit;
      throw new AppError('rate_limited', `Too many store requests at once: this one would wait about ${Math.ceil(waitMs / 1000)} s`, {
        waitMs,
        maxRequests,
        windowMs,
        source: 'app',
      });
    }
    notify({ reason: 'queued', waitMs });
    await this.limiter.acquire(signal);
  }

  private async send(call: GraphQLCall, signal: AbortSignal) {
    const { endpoint, storeCode, userAgent } = this.options;
    const headers: Record<string, string> = { Store: storeCode, Accept: 'application/json', 'User-Agent': userAgent };
    const asGet = call.kind === 'query' && call.cacheable === true && this.options.getForQueries;
    let url = endpoint;
    let body: string | undefined;
    if (asGet) {
      const params = new URLSearchParams({ query: call.query });
      if (call.variables) params.set('variables', JSON.stringify(call.variables));
      url = `${endpoint}?${params.toString()}`;
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify({ query: call.query, variables: call.variables ?? {} });
    }
    const { agent, request } = await this.connection();
    const response = await request(url, {
      method: asGet ? 'GET' : 'POST',
      headers,
      body,
      signal,
      dispatcher: agent,
    });
    const text = await response.body.text();
    return { statusCode: response.statusCode, headers: response.headers, text };
  }

  private markRetryable(error: AppError, retryAfterMs: number | null): AppError {
    this.retryable.set(error, { retryAfterMs });
    return error;
  }
}

function closedError(): AppError {
  return new AppError('closed', 'The store client is closed');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON: the caller turns `undefined` into `store_unavailable` (and it is logged there).
    return undefined;
  }
}

/** The GraphQL operation's name (`SearchProducts`), or its kind when anonymous; never its variables. */
function operationName(query: string): string {
  return /^\s*(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(query)?.[1] ?? 'anonymous';
}

function failureLevel(code: string): 'error' | 'warn' | 'debug' {
  switch (code) {
    case 'store_unavailable':
    case 'timeout':
    case 'internal':
      return 'error';
    case 'rate_limited':
    case 'store_error':
    case 'cart_error':
      return 'warn';
    default:
      // cancelled, closed, circuit_open (its opening was logged), store_input, store_not_found: answers, not faults.
      return 'debug';
  }
}

interface GraphQLErrorBody {
  message?: string;
  extensions?: { category?: string };
  path?: (string | number)[];
}

/** `data`, or the first GraphQL error as a typed error that keeps Magento's category. */
function resultOf(body: unknown, statusCode: number): unknown {
  const { data, errors } = (body ?? {}) as { data?: unknown; errors?: GraphQLErrorBody[] };
  if (Array.isArray(errors) && errors.length > 0) {
    const first = errors[0]!;
    const category = first.extensions?.category ?? 'graphql';
    throw new AppError(categoryCodes[category] ?? 'store_error', first.message ?? 'The store refused the request', {
      category,
      messages: errors.map((error) => String(error.message)),
      status: statusCode,
    });
  }
  if (data === undefined || data === null) throw new AppError('store_error', `The store answered HTTP ${statusCode} without data`);
  return data;
}

/** What a failure says about the store, for a wait notice or the circuit's error (no message: it may quote customer data). */
export function storeCauseOf(error: unknown): StoreCause {
  const { code, httpStatus, cause } = errorFacts(error);
  const details = error instanceof AppError ? (error.details as { maintenance?: unknown } | undefined) : undefined;
  return {
    code: code as StoreCause['code'],
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    ...(cause ? { cause } : {}),
    ...(details?.maintenance === true ? { maintenance: true } : {}),
  };
}

function networkError(error: unknown): AppError {
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new AppError('timeout', `The store did not answer in time (${code})`);
  }
  return new AppError('store_unavailable', `Cannot reach the store: ${message}`, { cause: code || undefined });
}
