import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import {
  enrollRequestSchema,
  pushRequestSchema,
  SYNC_MAX_BATCH_BYTES,
  SYNC_MAX_PULL,
  SYNC_MAX_VALUE_BYTES,
  UUID_PATTERN,
  type LiveEvent,
} from '@shared/sync';
import { authenticate, redeemEnrollment, type AuthenticatedDesk } from './admin';
import { HubError, isDatabaseUnavailable } from './errors';
import { inTransaction } from './database';
import type { ChangeListener } from './live';
import { knowsChange, latestSeq, pullPage } from './pull';
import { applyBatch, beginBatch, valueBytes, type PushResult } from './push';

const DEFAULT_HEARTBEAT_MS = 15_000;
/** Transient PostgreSQL refusals a batch is simply run again for (deadlock, serialization, a racing op id). */
const RETRYABLE = new Set(['40P01', '40001', '23505']);
const MAX_ATTEMPTS = 3;

export interface ServerDeps {
  pool: pg.Pool;
  listener: ChangeListener;
  logger: Logger;
  now: () => number;
  quotaBytes: number;
  https?: { cert: Buffer; key: Buffer };
  trustProxy: boolean;
  /** Live streams get a heartbeat this often (default 15 s); a revoked desk's stream ends at the next one. */
  heartbeatMs?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    desk: AuthenticatedDesk | null;
  }
}

export interface HubServer {
  app: FastifyInstance;
  /** Ends every live stream (they would otherwise keep the server open). */
  endStreams(): void;
}

export function buildServer(deps: ServerDeps): HubServer {
  const { pool, logger, now } = deps;
  const app = Fastify({
    logger: false,
    ...(deps.https ? { https: deps.https } : {}),
    trustProxy: deps.trustProxy,
    bodyLimit: SYNC_MAX_BATCH_BYTES,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  const streams = new Set<ServerResponse>();
  /** Set by `endStreams`: a stream that finishes opening after it would never be ended, and would hold the close. */
  let closing = false;

  app.decorateRequest('desk', null);

  // Every /sync route but enrollment needs a device token, checked before the body is read.
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/sync/') || request.url.startsWith('/sync/enroll')) return;
    const header = request.headers.authorization ?? '';
    const token = /^Bearer ([^\s]+)$/i.exec(header)?.[1];
    const desk = token ? await authenticate(pool, token, now()) : null;
    if (!desk)
      throw new HubError('unauthorized', 'A valid device token is required (Authorization: Bearer …). Enroll this desk again if it was revoked.');
    request.desk = desk;
  });

  app.setErrorHandler((error: FastifyError | HubError, request: FastifyRequest, reply: FastifyReply) => {
    const refusal = toHubError(error);
    if (refusal.status >= 500)
      logger.error(
        { route: request.routeOptions.url, code: refusal.code, pgCode: (error as { code?: unknown }).code, err: safeError(error) },
        'hub request failed',
      );
    else logger.debug({ route: request.routeOptions.url, code: refusal.code }, 'hub request refused');
    return reply.code(refusal.status).send(refusal.body());
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send(new HubError('invalid_request', 'No such endpoint.').body()));

  app.get('/health', async () => {
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      throw toHubError(error);
    }
    return { ok: true };
  });

  app.post('/sync/enroll', { bodyLimit: 4096 }, async (request) => {
    const parsed = enrollRequestSchema.safeParse(request.body);
    if (!parsed.success) throw new HubError('invalid_request', 'Send { code } with the code shown by `npm run hub -- enroll`.');
    const enrolled = await redeemEnrollment(pool, parsed.data.code, now());
    logger.info({ deskId: enrolled.deskId }, 'desk enrolled');
    return enrolled;
  });

  app.post('/sync/push', async (request) => {
    const desk = request.desk!;
    const parsed = pushRequestSchema.safeParse(request.body);
    if (!parsed.success)
      throw new HubError('invalid_request', 'The batch is malformed; nothing was applied.', {
        issues: parsed.error.issues.slice(0, 20).map((issue) => ({ path: issue.path.map(String), message: issue.message })),
      });
    const oversized = parsed.data.ops.flatMap((op, index) =>
      op.kind === 'memory.put' && valueBytes(op.value) > SYNC_MAX_VALUE_BYTES ? [index] : [],
    );
    if (oversized.length > 0)
      throw new HubError('invalid_request', `A memory value is at most ${SYNC_MAX_VALUE_BYTES} bytes of JSON; nothing was applied.`, {
        issues: oversized.slice(0, 20).map((index) => ({ path: ['ops', String(index), 'value'], message: `over ${SYNC_MAX_VALUE_BYTES} bytes` })),
      });
    const started = performance.now();
    const ops = parsed.data.ops;
    const result = await runBatch(pool, logger, beginBatch(ops), (client) =>
      applyBatch(client, desk, ops, { quotaBytes: deps.quotaBytes, now: now() }),
    );
    logger.info(
      { deskId: desk.id, ops: parsed.data.ops.length, applied: result.applied, maxSeq: result.maxSeq, ms: Math.round(performance.now() - started) },
      'batch pushed',
    );
    return result.response;
  });

  app.get('/sync/pull', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const after = integerParam(query.after, 0);
    const limit = integerParam(query.limit, SYNC_MAX_PULL);
    const at = query.at;
    if (after === null || limit === null || limit < 1 || (at !== undefined && (typeof at !== 'string' || !UUID_PATTERN.test(at))))
      throw new HubError(
        'invalid_request',
        `Ask for /sync/pull?after=<seq ≥ 0>&limit=<1..${SYNC_MAX_PULL}>[&at=<op id of the change at seq after>].`,
      );
    if (typeof at === 'string' && after > 0 && !(await knowsChange(pool, after, at))) {
      logger.warn({ deskId: request.desk!.id, after }, 'a desk synced past what this hub has: its log was restored or replaced');
      throw new HubError(
        'cursor_unknown',
        'This hub does not have the change this desk synced through (its database was restored from a backup or replaced): pull from 0 and send your changes again.',
      );
    }
    const page = await pullPage(pool, after, limit);
    return reply.type('application/json; charset=utf-8').send(page.json);
  });

  app.get('/sync/live', async (request, reply) => {
    const desk = request.desk!;
    const first = await latestSeq(pool);
    if (closing) throw new HubError('unavailable', 'The hub is closing; connect again.');
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (event: LiveEvent): void => void response.write(`data: ${JSON.stringify(event)}\n\n`);
    // The newest seq at once, so a client knows where the hub stands (and that it listens) before any change.
    send({ seq: first });
    const unsubscribe = deps.listener.subscribe((seq) => send({ seq }));
    // The heartbeat keeps proxies from closing an idle stream and ends streams of revoked desks.
    const heartbeat = setInterval(() => {
      response.write(': heartbeat\n\n');
      pool.query('SELECT 1 FROM desks WHERE id = $1 AND revoked_at IS NULL', [desk.id]).then(
        (found) => {
          if (found.rowCount === 0) response.end();
        },
        (error: unknown) => logger.debug({ code: (error as { code?: unknown }).code }, 'live stream revocation check failed'),
      );
    }, deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    heartbeat.unref();
    streams.add(response);
    response.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(response);
    });
  });

  return {
    app,
    endStreams() {
      closing = true;
      for (const response of streams) response.end();
    },
  };
}

/** One batch in one transaction, run again on a deadlock or a racing duplicate op id. */
async function runBatch(pool: pg.Pool, logger: Logger, begin: string, work: (client: pg.PoolClient) => Promise<PushResult>): Promise<PushResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      // A refusal of ours (quota) leaves the connection healthy: keep it.
      return await inTransaction(pool, work, (error) => error instanceof HubError, begin);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) {
        logger.info({ pgCode: code, attempt }, 'batch retried');
        continue;
      }
      throw toHubError(error);
    }
  }
}

function integerParam(value: unknown, fallback: number): number | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

function toHubError(error: unknown): HubError {
  if (error instanceof HubError) return error;
  const fastifyCode = (error as { code?: unknown }).code;
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413)
    return new HubError('too_large', `A batch is at most ${SYNC_MAX_BATCH_BYTES} bytes; nothing was applied.`, { maxBytes: SYNC_MAX_BATCH_BYTES });
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500)
    return new HubError('invalid_request', 'The request is not valid JSON for this endpoint; nothing was applied.');
  if (isDatabaseUnavailable(error)) return new HubError('unavailable', 'The hub cannot reach its database right now; try again shortly.');
  return new HubError('internal', 'The hub failed on this request; nothing was applied.');
}

/** Error facts without the message, which for a failed SQL statement may quote customer data. */
function safeError(error: unknown): { type: string; stack?: string } {
  if (!(error instanceof Error)) return { type: typeof error };
  return { type: error.name, ...(error.stack ? { stack: error.stack.split('\n').slice(1, 8).join('\n') } : {}) };
}
