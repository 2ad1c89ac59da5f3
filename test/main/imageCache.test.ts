import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphQLTransport } from '../../src/main/commerce/transport';
import { systemClock } from '../../src/main/core/clock';
import { ImageCache, looksLike, type ImageCacheOptions } from '../../src/main/images';
import { tempDir } from '../helpers/tempDir';

// A real image server on loopback and the store's real pooled transport (undici) as the fetcher.

const PNG_HEADER = Buffer.from('89504e470d0a1a0a', 'hex');
/** A body that passes the PNG check, `size` bytes long, distinct per `seed`. */
const png = (size: number, seed = 0) => Buffer.concat([PNG_HEADER, Buffer.alloc(Math.max(0, size - PNG_HEADER.length), seed)]);

interface ImageServer {
  origin: string;
  hits: Map<string, number>;
  /** What each path answers: status, type, body (chunked when `chunked`). */
  routes: Map<string, { status?: number; type: string; body: Buffer; chunked?: boolean }>;
  close(): Promise<void>;
}

const servers: ImageServer[] = [];
const transports: GraphQLTransport[] = [];
const caches: ImageCache[] = [];
afterEach(async () => {
  for (const cache of caches.splice(0)) cache.close();
  for (const transport of transports.splice(0)) await transport.close();
  for (const server of servers.splice(0)) await server.close();
});

async function imageServer(): Promise<ImageServer> {
  const hits = new Map<string, number>();
  const routes: ImageServer['routes'] = new Map();
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
    const route = routes.get(pathname);
    if (!route) {
      res.writeHead(404).end('no');
      return;
    }
    if (route.chunked) {
      res.writeHead(route.status ?? 200, { 'Content-Type': route.type });
      res.write(route.body.subarray(0, 10));
      res.end(route.body.subarray(10));
      return;
    }
    res.writeHead(route.status ?? 200, { 'Content-Type': route.type, 'Content-Length': String(route.body.length) });
    res.end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const result: ImageServer = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(result);
  return result;
}

function cacheFor(store: ImageServer, dir: string, options: Partial<ImageCacheOptions> = {}): ImageCache {
  const transport = new GraphQLTransport({ endpoint: `${store.origin}/graphql` });
  transports.push(transport);
  const cache = new ImageCache({
    dir,
    fetch: (url, fetchOptions) => transport.fetchImage(url, fetchOptions),
    storeEndpoint: () => transport.options.endpoint,
    ...options,
  });
  caches.push(cache);
  return cache;
}

describe('the product image cache', () => {
  it('fetches an image once and serves it from disk afterwards, owner-only', async () => {
    const store = await imageServer();
    store.routes.set('/media/a.png', { type: 'image/png', body: png(300, 1) });
    const dir = path.join(tempDir('mm-images-'), 'image-cache');
    const cache = cacheFor(store, dir);
    const url = `${store.origin}/media/a.png`;

    const first = await cache.get(url);
    expect(first).toMatchObject({ ok: true, contentType: 'image/png', from: 'store' });
    const second = await cache.get(url);
    expect(second).toMatchObject({ ok: true, contentType: 'image/png', from: 'cache' });
    expect(second.ok && second.body.equals(png(300, 1))).toBe(true);
    expect(store.hits.get('/media/a.png')).toBe(1);

    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.png$/);
    if (process.platform !== 'win32') {
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    }
  });

  it('asks the store once for an image many cards want at the same time', async () => {
    const store = await imageServer();
    store.routes.set('/media/b.png', { type: 'image/png', body: png(500, 2) });
    const cache = cacheFor(store, tempDir('mm-images-'));
    const answers = await Promise.all(Array.from({ length: 8 }, () => cache.get(`${store.origin}/media/b.png`)));
    expect(answers.every((answer) => answer.ok)).toBe(true);
    expect(store.hits.get('/media/b.png')).toBe(1);
  });

  it('survives a restart: a new cache on the folder serves it with the store gone', async () => {
    const store = await imageServer();
    store.routes.set('/media/c.png', { type: 'image/png', body: png(400, 3) });
    const dir = tempDir('mm-images-');
    const url = `${store.origin}/media/c.png`;
    const before = cacheFor(store, dir);
    expect(await before.get(url)).toMatchObject({ ok: true, from: 'store' });
    before.close();
    // A write cut short by a crash leaves a temporary file: it is removed, never served.
    fs.writeFileSync(path.join(dir, `${'0'.repeat(64)}.abc.tmp`), 'half');
    await store.close();

    const after = cacheFor(store, dir);
    const answer = await after.get(url);
    expect(answer).toMatchObject({ ok: true, contentType: 'image/png', from: 'cache' });
    expect(answer.ok && answer.body.equals(png(400, 3))).toBe(true);
    expect(fs.readdirSync(dir).some((name) => name.endsWith('.tmp'))).toBe(false);
    // Not cached and the store unreachable: an answer, not a throw.
    expect(await after.get(`${store.origin}/media/never.png`)).toMatchObject({ ok: false, status: 502 });
  });

  it('respects its size cap, evicting the least recently used first, also after a restart', async () => {
    const store = await imageServer();
    for (const name of ['a', 'b', 'c', 'd']) store.routes.set(`/media/${name}.png`, { type: 'image/png', body: png(400, name.charCodeAt(0)) });
    const dir = tempDir('mm-images-');
    const cache = cacheFor(store, dir, { maxBytes: 1000 });
    const url = (name: string) => `${store.origin}/media/${name}.png`;
    await cache.get(url('a'));
    await cache.get(url('b'));
    // `a` used again: `b` is now the oldest.
    expect(await cache.get(url('a'))).toMatchObject({ from: 'cache' });
    await cache.get(url('c'));
    expect(await cache.has(url('b'))).toBe(false);
    expect(await cache.has(url('a'))).toBe(true);
    expect(await cache.has(url('c'))).toBe(true);
    expect((await cache.stats()).bytes).toBeLessThanOrEqual(1000);
    expect(fs.readdirSync(dir)).toHaveLength(2);
    cache.close();

    // The order of use is kept on disk: after a restart with a smaller cap the older one goes.
    const smaller = cacheFor(store, dir, { maxBytes: 500 });
    expect(await smaller.stats()).toEqual({ files: 1, bytes: 400 });
    expect(await smaller.has(url('c'))).toBe(true);
    expect(fs.readdirSync(dir)).toHaveLength(1);
  });

  it('keeps the order of use on disk even when uses fall within one clock tick', async () => {
    const store = await imageServer();
    for (const name of ['a', 'b']) store.routes.set(`/media/${name}.png`, { type: 'image/png', body: png(400, name.charCodeAt(0)) });
    const dir = tempDir('mm-images-');
    const url = (name: string) => `${store.origin}/media/${name}.png`;
    // A clock that does not move (every use in the same millisecond), set after the file system's
    // own time: the order must come from the cache, not from when the file system wrote a file.
    const at = Date.now() + 60_000;
    const clock = { ...systemClock, now: () => at };
    const cache = cacheFor(store, dir, { maxBytes: 1000, clock });
    await cache.get(url('a'));
    await cache.get(url('b'));
    cache.close();
    const smaller = cacheFor(store, dir, { maxBytes: 500, clock });
    expect(await smaller.has(url('b'))).toBe(true);
    expect(await smaller.has(url('a'))).toBe(false);
  });

  it('fetches only from the host of the store in use, over https or loopback http, without credentials', async () => {
    const store = await imageServer();
    store.routes.set('/media/a.png', { type: 'image/png', body: png(100) });
    const cache = cacheFor(store, tempDir('mm-images-'));
    const port = new URL(store.origin).port;
    for (const url of [
      `http://localhost:${port}/media/a.png`,
      'https://evil.example/media/a.png',
      'http://online.mmvietnam.com/media/a.png',
      `http://user:pw@127.0.0.1:${port}/media/a.png`,
    ]) {
      expect(await cache.get(url), url).toMatchObject({ ok: false, status: 403 });
    }
    for (const url of ['file:///etc/passwd', 'data:image/png;base64,AAAA', 'javascript:alert(1)', `${store.origin}/${'x'.repeat(5000)}`]) {
      expect(await cache.get(url), url).toMatchObject({ ok: false, status: 400 });
    }
    expect(store.hits.size).toBe(0);
    // Another port of the same host is still the store's host (media may be served apart from GraphQL).
    expect(await cache.get(`${store.origin}/media/a.png`)).toMatchObject({ ok: true });
  });

  it('keeps only images: the declared type and the first bytes must agree', async () => {
    const store = await imageServer();
    store.routes.set('/media/page.png', { type: 'text/html', body: Buffer.from('<html>maintenance</html>') });
    store.routes.set('/media/liar.png', { type: 'image/png', body: Buffer.from('<script>alert(1)</script>') });
    store.routes.set('/media/gone.png', { status: 404, type: 'image/png', body: png(50) });
    store.routes.set('/media/icon.svg', {
      type: 'image/svg+xml; charset=utf-8',
      body: Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
    });
    const dir = tempDir('mm-images-');
    const cache = cacheFor(store, dir);
    expect(await cache.get(`${store.origin}/media/page.png`)).toMatchObject({ ok: false, status: 502 });
    expect(await cache.get(`${store.origin}/media/liar.png`)).toMatchObject({ ok: false, status: 502 });
    expect(await cache.get(`${store.origin}/media/gone.png`)).toMatchObject({ ok: false, status: 404 });
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(await cache.get(`${store.origin}/media/icon.svg`)).toMatchObject({ ok: true, contentType: 'image/svg+xml' });

    expect(looksLike('image/jpeg', Buffer.from('ffd8ffe0', 'hex'))).toBe(true);
    expect(looksLike('image/gif', Buffer.from('GIF89a....'))).toBe(true);
    expect(looksLike('image/webp', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBP')]))).toBe(true);
    expect(looksLike('image/jpeg', Buffer.from('<html>'))).toBe(false);
    expect(looksLike('text/html', Buffer.from('<html>'))).toBe(false);
  });

  it('bounds the size of one image, declared or streamed', async () => {
    const store = await imageServer();
    store.routes.set('/media/big.png', { type: 'image/png', body: png(5000) });
    store.routes.set('/media/big-chunked.png', { type: 'image/png', body: png(5000), chunked: true });
    store.routes.set('/media/small.png', { type: 'image/png', body: png(900) });
    const dir = tempDir('mm-images-');
    const cache = cacheFor(store, dir, { maxImageBytes: 1000 });
    expect(await cache.get(`${store.origin}/media/big.png`)).toMatchObject({ ok: false, status: 502 });
    expect(await cache.get(`${store.origin}/media/big-chunked.png`)).toMatchObject({ ok: false, status: 502 });
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(await cache.get(`${store.origin}/media/small.png`)).toMatchObject({ ok: true });
  });

  it('answers 503 once closed', async () => {
    const store = await imageServer();
    const cache = cacheFor(store, tempDir('mm-images-'));
    cache.close();
    expect(await cache.get(`${store.origin}/media/a.png`)).toMatchObject({ ok: false, status: 503 });
  });
});
