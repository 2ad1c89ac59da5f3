// The bridge's edges on a real server (127.0.0.1, port 0) with raw node:http requests, so the test
// controls the Host header and when (and whether) a body is sent: a foreign Host is refused for
// the API and the renderer alike, an oversize body is refused from its headers or cut off while
// it streams, and nothing a refused request asked for is dispatched.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/app/services';
import { startBridge, type BridgeServer } from '../../src/main/bridge/server';
import { snapshotDatabase } from '../helpers/dbSnapshot';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

const LIMIT = 1024;

let services: Services | null = null;
let bridge: BridgeServer | null = null;
afterEach(async () => {
  await bridge?.close();
  await services?.close();
  bridge = null;
  services = null;
});

async function start(): Promise<BridgeServer> {
  const rendererDir = path.join(tempDir(), 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>MM</title>');
  services = await startServices(tempDir());
  bridge = await startBridge({ dispatch: services.dispatch, events: services.events, rendererDir, maxBodyBytes: LIMIT });
  await settled(services);
  return bridge;
}

/** Memory's start-up maintenance writes its report once; the snapshots are taken after it. */
async function settled(running: Services): Promise<void> {
  const db = running.db!;
  let last = '';
  for (let waited = 0; waited < 5000; waited += 50) {
    const now = snapshotDatabase(db);
    const ran = (db.prepare('SELECT count(*) AS n FROM memory_jobs').get() as { n: number }).n > 0;
    if (ran && now === last) return;
    last = now;
    await new Promise((wake) => setTimeout(wake, 50));
  }
  throw new Error('the start-up maintenance did not settle');
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function answerOf(response: http.IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let body = '';
    response.on('data', (chunk: Buffer) => (body += chunk.toString()));
    response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    response.on('error', reject);
  });
}

/** One request with the given headers (a `Host` among them replaces the real one) and body. */
function raw(
  server: BridgeServer,
  options: { method?: string; path: string; headers?: Record<string, string | number>; body?: string; setHost?: boolean },
): Promise<Answer> {
  const { port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        setHost: options.setHost ?? true,
        agent: false,
      },
      (response) => {
        answerOf(response).then(resolve, reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Sends the headers and what `send` writes, never ends the request; resolves with the answer and whether the server closed the connection. */
function partial(
  server: BridgeServer,
  headers: Record<string, string | number>,
  send: (request: http.ClientRequest) => void,
): Promise<Answer & { continued: boolean; closed: boolean }> {
  const { port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    let continued = false;
    let done = false;
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/invoke/memory.put', agent: false, headers }, (response) => {
      const socket = request.socket!;
      let closed = socket.destroyed;
      socket.once('close', () => (closed = true));
      socket.once('end', () => (closed = true));
      answerOf(response).then(async (answer) => {
        for (let waited = 0; waited < 2000 && !closed; waited += 10) await new Promise((wake) => setTimeout(wake, 10));
        done = true;
        request.destroy();
        resolve({ ...answer, continued, closed });
      }, reject);
    });
    request.on('continue', () => (continued = true));
    request.on('error', (error) => {
      if (!done) reject(error);
    });
    send(request);
  });
}

function apiHeaders(server: BridgeServer, extra: Record<string, string | number> = {}): Record<string, string | number> {
  return { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, ...extra };
}

const put = { userId: 'kh-edge', key: 'ghi-chu', value: { note: 'written only by a legitimate request' } };

describe('bridge edges', () => {
  it('refuses a foreign Host (DNS rebinding) for the API and the renderer, and dispatches nothing', async () => {
    const server = await start();
    const { port } = new URL(server.origin);
    const before = snapshotDatabase(services!.db!);
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${Number(port) + 1}`, `[::1]:${port}`, `127.0.0.1.evil.example:${port}`]) {
      const api = await raw(server, {
        method: 'POST',
        path: '/api/invoke/memory.put',
        headers: apiHeaders(server, { Host: host }),
        body: JSON.stringify(put),
      });
      expect(api.status, host).toBe(421);
      expect(JSON.parse(api.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      const page = await raw(server, { path: '/', headers: { Host: host } });
      expect(page.status, host).toBe(421);
      expect(page.body).not.toContain('<title>MM</title>');
    }
    // No Host at all: HTTP/1.1 requires one, Node's parser answers 400 before the bridge sees it.
    expect((await raw(server, { path: '/', setHost: false })).status).toBe(400);
    expect(snapshotDatabase(services!.db!)).toBe(before);
    const get = await raw(server, {
      method: 'POST',
      path: '/api/invoke/memory.get',
      headers: apiHeaders(server),
      body: JSON.stringify({ userId: put.userId, key: put.key }),
    });
    expect(JSON.parse(get.body)).toMatchObject({ ok: false });

    // The bridge's own names are answered.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      expect((await raw(server, { path: '/', headers: { Host: host } })).status, host).toBe(200);
    }
    const legit = await raw(server, {
      method: 'POST',
      path: '/api/invoke/memory.put',
      headers: apiHeaders(server, { Host: `localhost:${port}` }),
      body: JSON.stringify(put),
    });
    expect(JSON.parse(legit.body)).toMatchObject({ ok: true });
    expect(snapshotDatabase(services!.db!)).not.toBe(before);
  });

  it('refuses a declared oversize body with 413 from the headers, before the body is sent', async () => {
    const server = await start();
    const before = snapshotDatabase(services!.db!);
    for (const expectContinue of [false, true]) {
      const headers = apiHeaders(server, { 'Content-Length': LIMIT + 1, ...(expectContinue ? { Expect: '100-continue' } : {}) });
      // Headers only: not one byte of the body is ever written.
      const answer = await partial(server, headers, (request) => request.flushHeaders());
      expect(answer.status, `Expect: 100-continue ${expectContinue}`).toBe(413);
      expect(answer.headers.connection).toBe('close');
      expect(answer.continued).toBe(false);
      expect(answer.closed).toBe(true);
      expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
    expect(snapshotDatabase(services!.db!)).toBe(before);
  });

  it('cuts a chunked body off with 413 and closes the connection as soon as it passes the limit', async () => {
    const server = await start();
    const before = snapshotDatabase(services!.db!);
    // A valid start, then more than the limit in chunks; the request is never ended.
    const answer = await partial(server, apiHeaders(server), (request) => {
      request.write(`{"userId":"${put.userId}","key":"${put.key}","value":"`);
      request.write('x'.repeat(LIMIT / 2));
      request.write('x'.repeat(LIMIT));
    });
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    expect(answer.closed).toBe(true);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(snapshotDatabase(services!.db!)).toBe(before);

    // A chunked body within the limit still goes through.
    const within = await partial(server, apiHeaders(server), (request) => request.end(JSON.stringify(put)));
    expect(JSON.parse(within.body)).toMatchObject({ ok: true });
  });

  it('closes the connection instead of reading the body of a request refused for its token', async () => {
    const server = await start();
    const before = snapshotDatabase(services!.db!);
    const answer = await partial(
      server,
      { 'Content-Type': 'application/json', Authorization: `Bearer ${'0'.repeat(64)}`, 'Content-Length': 100 },
      (request) => request.flushHeaders(),
    );
    expect(answer.status).toBe(401);
    expect(answer.closed).toBe(true);
    expect(snapshotDatabase(services!.db!)).toBe(before);
  });
});
