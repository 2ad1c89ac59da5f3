import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { EventName } from '@shared/contract';
import { CONTENT_SECURITY_POLICY, PRODUCT_IMAGE_PATH } from '@shared/security';
import type { Dispatch } from '../core/dispatch';
import type { EventBus } from '../core/eventBus';
import { silentLogger, type Logger } from '../core/logger';
import { imageResponseHeaders, type ImageAnswer } from '../images';
import { contentTypeOf } from '../core/contentTypes';

export interface BridgeOptions {
  dispatch: Dispatch;
  events: EventBus;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /**
   * Product images for `GET /product-image?src=<store URL>` (the same disk cache as the desktop
   * app's protocol); absent, that path answers 404.
   */
  images?: (src: string) => Promise<ImageAnswer>;
  port?: number;
  /**
   * The per-run bearer token; a random 32-byte one when absent. `runBridge` makes it and registers
   * it with the log's secrets before the bridge starts, so no log line can carry it.
   */
  token?: string;
  /**
   * Largest request body accepted, in bytes: a larger declared `Content-Length` is refused before
   * the body is read, a chunked body is cut off as soon as it passes it.
   */
  maxBodyBytes?: number;
  /**
   * Start, refused and failed requests, event streams opened and dropped. Never a header (the
   * token), a request body or a URL's query or fragment.
   */
  logger?: Logger;
}

export interface BridgeServer {
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  /** The URL to open in a browser: the token travels in the fragment, which is never sent to a server. */
  readonly openUrl: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const HEARTBEAT_MS = 15_000;
/**
 * Serves the built renderer and the IPC contract on loopback: `POST /api/invoke/<channel>` for
 * requests and `GET /api/events` (server-sent events over a fetch stream) for pushed events. Every
 * API call needs the per-run bearer token; cross-origin calls are refused.
 */
export async function startBridge(options: BridgeOptions): Promise<BridgeServer> {
  const token = options.token ?? crypto.randomBytes(32).toString('hex');
  const tokenBytes = Buffer.from(token);
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const rendererRoot = path.resolve(options.rendererDir);
  const eventStreams = new Set<http.ServerResponse>();
  const log = options.logger ?? silentLogger();
  let origin = '';
  /** The `Host` values this server answers to, set once it listens (`127.0.0.1:PORT`, `localhost:PORT`). */
  let ownHosts = new Set<string>();

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    // DNS rebinding: a page on another name resolved to 127.0.0.1 sends its own name as Host.
    if (!ownHosts.has((req.headers.host ?? '').toLowerCase())) {
      log.warn({ method: req.method, path: url.pathname, httpStatus: 421 }, 'bridge request for another host refused');
      return refuse(req, res, 421, apiError('forbidden', 'Requests must be addressed to the bridge itself.'));
    }
    if (url.pathname === PRODUCT_IMAGE_PATH) {
      serveImage(req, res, url).catch((error: unknown) => {
        log.error({ path: url.pathname, err: error }, 'a product image could not be served');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      handleApi(req, res, url.pathname).catch((error: unknown) => {
        // The dispatcher turns handler failures into answers, so this is the bridge's own fault (a body cut off, a socket error).
        log.error({ method: req.method, path: url.pathname, err: error }, 'bridge request failed');
        sendJson(res, 500, { ok: false, error: { code: 'internal', message: String(error) } });
      });
      return;
    }
    serveStatic(req, res, url.pathname);
  };
  const server = http.createServer(onRequest);
  // `Expect: 100-continue`: the client sends the body only once the checks pass (handleApi writes the 100).
  server.on('checkContinue', onRequest);

  function authorized(req: http.IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const presented = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    return presented.length === tokenBytes.length && crypto.timingSafeEqual(presented, tokenBytes);
  }

  /** Browsers send Origin on cross-origin requests and Sec-Fetch-Site everywhere they can. */
  function sameOrigin(req: http.IncomingMessage): boolean {
    const requestOrigin = req.headers.origin;
    if (requestOrigin !== undefined && requestOrigin !== origin) return false;
    const site = req.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin' || site === 'none';
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> {
    if (!sameOrigin(req)) {
      log.warn({ method: req.method, path: pathname, httpStatus: 403 }, 'cross-origin bridge request refused');
      return refuse(req, res, 403, apiError('forbidden', 'Cross-origin requests are refused.'));
    }
    if (!authorized(req)) {
      // Which request, not what it presented: a wrong token may be a real one from another run.
      log.warn({ method: req.method, path: pathname, httpStatus: 401 }, 'bridge request without the right token refused');
      return refuse(req, res, 401, apiError('unauthorized', 'Missing or wrong bridge token.'));
    }

    if (pathname === '/api/events' && req.method === 'GET') return openEventStream(req, res);

    const match = /^\/api\/invoke\/([A-Za-z0-9_.-]{1,100})$/.exec(pathname);
    if (!match || req.method !== 'POST') return refuse(req, res, 404, apiError('unknown_channel', `No such endpoint: ${req.method} ${pathname}`));
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return refuse(req, res, 415, apiError('invalid_request', 'Requests must be application/json.'));
    }
    const tooLarge = apiError('invalid_request', `Request body over ${maxBodyBytes} bytes.`);
    // From the headers, before a byte of the body is read.
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      log.warn({ method: req.method, path: pathname, httpStatus: 413 }, 'bridge request body declared over the limit refused');
      return refuse(req, res, 413, tooLarge);
    }
    if (!res.headersSent && (req.headers.expect ?? '').toLowerCase() === '100-continue') res.writeContinue();
    const body = await readBody(req, maxBodyBytes);
    if (body === null) {
      // A chunked body that passed the limit: not read further, the connection is closed.
      log.warn({ method: req.method, path: pathname, httpStatus: 413 }, 'bridge request body cut off over the limit');
      return refuse(req, res, 413, tooLarge);
    }
    let request: unknown;
    try {
      request = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      // Answered as `invalid_request`; the body is not logged (it can hold a customer's data).
      log.debug({ path: pathname }, 'bridge request body is not JSON');
      return sendJson(res, 400, apiError('invalid_request', 'Request body is not valid JSON.'));
    }
    const result = await options.dispatch(match[1], request, { transport: 'bridge' });
    sendJson(res, 200, result);
  }

  function openEventStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write(': connected\n\n');
    eventStreams.add(res);
    const opened = Date.now();
    log.info({ clients: eventStreams.size }, 'event stream opened');
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    const forget = () => {
      clearInterval(heartbeat);
      if (!eventStreams.delete(res)) return;
      log.info({ clients: eventStreams.size, durationMs: Date.now() - opened }, 'event stream closed');
    };
    req.on('close', forget);
    res.on('close', forget);
    // A write to a client that went away fails here rather than as an uncaught 'error' event.
    res.on('error', (error) => {
      log.warn({ err: error }, 'event stream dropped');
      res.destroy();
    });
  }

  const unsubscribe = options.events.subscribe((name: EventName, payload: unknown) => {
    const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const stream of eventStreams) stream.write(frame);
  });

  /**
   * A product image from the cache (fetched from the store once). `<img>` cannot send the token,
   * so this path needs none; a page of another site is refused (Sec-Fetch-Site), as for the API.
   */
  async function serveImage(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (!sameOrigin(req)) {
      log.warn({ path: url.pathname, httpStatus: 403 }, 'cross-origin image request refused');
      res.writeHead(403).end();
      return;
    }
    const src = url.searchParams.get('src');
    const answer: ImageAnswer = !options.images
      ? { ok: false, status: 404, reason: 'No images here.' }
      : src
        ? await options.images(src)
        : { ok: false, status: 400, reason: 'src is missing.' };
    if (!answer.ok) {
      res.writeHead(answer.status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : answer.reason);
      return;
    }
    res.writeHead(200, { ...imageResponseHeaders(answer.contentType), 'Content-Length': String(answer.body.length) });
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  }

  function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      // A malformed path is the client's fault: answered 400.
      res.writeHead(400).end();
      return;
    }
    const file = path.resolve(rendererRoot, `.${relative}`);
    if (!file.startsWith(rendererRoot + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': contentTypeOf(file),
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    fs.createReadStream(file)
      .on('error', (error) => {
        // Removed or rebuilt (npm run dev) since the check above: the page gets a cut response, the process goes on.
        log.warn({ path: pathname, err: error }, 'a renderer file could not be read');
        res.destroy();
      })
      .pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://${HOST}:${port}`;
  ownHosts = new Set([`${HOST}:${port}`, `localhost:${port}`]);
  // The origin only: the URL to open carries the token.
  log.info({ origin }, 'bridge listening');

  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/`,
    origin,
    token,
    openUrl: `${origin}/#token=${token}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        log.info({ clients: eventStreams.size }, 'bridge closing');
        unsubscribe();
        for (const stream of eventStreams) stream.end();
        eventStreams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function apiError(code: string, message: string) {
  return { ok: false, error: { code, message } };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, closeConnection = false): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    // Node closes the socket once the answer is out instead of reading the rest of the body.
    ...(closeConnection ? { Connection: 'close' } : {}),
  });
  res.end(payload);
}

/**
 * Answers a refused request without dispatching anything. A body still on its way is not read:
 * the connection is closed after the answer, so a client cannot make the bridge swallow it.
 */
function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, !req.complete && hasBody(req));
}

function hasBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * Reads the body, or returns null as soon as it passes `limit` bytes: the chunks seen are dropped
 * and the request is no longer read (the caller answers 413 and closes the connection).
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      chunks = [];
      req.off('data', onData);
      req.pause();
      resolve(null);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
