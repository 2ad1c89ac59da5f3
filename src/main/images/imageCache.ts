import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isLoopbackHost } from '@shared/settings';
import { systemClock, type Clock } from '../core/clock';
import { errorFacts, silentLogger, type Logger } from '../core/logger';
import { makePrivateDir, PRIVATE_FILE_MODE, restrictMode } from '../core/privateFiles';

/** The cache's folder, in the user-data folder beside the data file. */
export const IMAGE_CACHE_DIR_NAME = 'image-cache';

/** What the store answered for one image: the status, its declared type and at most `maxBytes` of body. */
export interface FetchedImage {
  statusCode: number;
  contentType: string;
  body: Buffer;
}

/**
 * Fetches one image through the store's pooled connection (commerce/transport.ts `fetchImage`):
 * rejects when the body passes `maxBytes`, and when `signal` aborts.
 */
export type FetchImage = (url: string, options: { maxBytes: number; signal: AbortSignal }) => Promise<FetchedImage>;

export interface ImageCacheOptions {
  /** The cache folder (created owner-only). */
  dir: string;
  fetch: FetchImage;
  /** The endpoint of the store in use now (the demo store's when it runs): images come only from its host. */
  storeEndpoint: () => string;
  /** Cap on the folder's images together, in bytes; the least recently used go first. Default 100 MB. */
  maxBytes?: number;
  /** Largest single image, in bytes. Default 5 MB. */
  maxImageBytes?: number;
  /** How long one fetch may take. Default 20 s. */
  timeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export type ImageAnswer =
  { ok: true; contentType: string; body: Buffer; from: 'cache' | 'store' } | { ok: false; status: 400 | 403 | 404 | 502 | 503 | 504; reason: string };

/** The image types the cache keeps, by their file extension on disk. */
const extensions = new Map<string, string>([
  ['image/png', 'png'],
  ['image/jpeg', 'jpg'],
  ['image/gif', 'gif'],
  ['image/webp', 'webp'],
  ['image/avif', 'avif'],
  ['image/svg+xml', 'svg'],
]);
const typesByExtension = new Map([...extensions].map(([type, extension]) => [extension, type]));
const cachedFileName = /^([0-9a-f]{64})\.(png|jpg|gif|webp|avif|svg)$/;
const MAX_URL_LENGTH = 4096;

interface Entry {
  file: string;
  bytes: number;
  contentType: string;
}

/**
 * Product images kept on disk so product cards show them offline. An image is fetched from the
 * store once, by main, and only from the host of the store in use (https, or http on loopback);
 * its type is checked (declared and by its first bytes) and its size bounded. The folder is
 * capped: the least recently used images go first. Files are owner-only and written atomically
 * (a temporary file renamed), so a crash never leaves half an image under a real name.
 */
export class ImageCache {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly maxImageBytes: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** By key (sha-256 of the URL), least recently used first (Map order). */
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;
  private readonly inFlight = new Map<string, Promise<ImageAnswer>>();
  private readonly running = new Set<AbortController>();
  private closed = false;
  /** What earlier runs kept, read on first use (not at start: the app starts without waiting for the folder). */
  private loading: Promise<boolean> | null = null;
  /** The last use's time (ms) as written on disk: each use gets a later one (see `useTime`). */
  private lastUse = 0;
  private writing: Promise<void> = Promise.resolve();
  /** Failed fetches are logged at most once a minute (offline, every card would log one). */
  private lastFailureLog = -Infinity;
  private failuresNotLogged = 0;

  constructor(private readonly options: ImageCacheOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? 100 * 1024 * 1024;
    this.maxImageBytes = options.maxImageBytes ?? 5 * 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger();
  }

  /** Images kept and their bytes together. */
  async stats(): Promise<{ files: number; bytes: number }> {
    await this.loaded();
    return { files: this.entries.size, bytes: this.totalBytes };
  }

  /** Whether `url` is on disk now (no fetch). */
  async has(url: string): Promise<boolean> {
    await this.loaded();
    return this.entries.has(keyOf(url));
  }

  /** The image at `url` (the store's URL as a product carries it): from disk, else fetched once and kept. */
  async get(url: string): Promise<ImageAnswer> {
    if (this.closed) return { ok: false, status: 503, reason: 'The image cache is closed.' };
    if (url.length > MAX_URL_LENGTH || !/^https?:\/\//i.test(url)) return { ok: false, status: 400, reason: 'Not an http(s) image URL.' };
    const key = keyOf(url);
    const cached = await this.read(key);
    if (cached) return cached;

    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetchAndKeep(url, key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Aborts running fetches; later calls answer 503. The files stay for the next start. */
  close(): void {
    this.closed = true;
    for (const controller of this.running) controller.abort(new Error('The image cache is closed.'));
  }

  private async read(key: string): Promise<ImageAnswer | null> {
    if (!(await this.loaded())) return null;
    const entry = this.entries.get(key);
    if (!entry) return null;
    try {
      const body = await fs.promises.readFile(path.join(this.dir, entry.file));
      // Most recently used now: last in the order, and on disk (the order survives a restart).
      this.entries.delete(key);
      this.entries.set(key, entry);
      const now = this.useTime();
      fs.promises.utimes(path.join(this.dir, entry.file), now, now).catch((error: unknown) => {
        // Only the order after a restart suffers: the image is served all the same.
        this.log.debug({ ...errorFacts(error) }, 'a cached image could not be marked as used');
      });
      return { ok: true, contentType: entry.contentType, body, from: 'cache' };
    } catch (error) {
      // Removed by hand or by another tool: forgotten here, fetched again.
      this.log.warn({ ...errorFacts(error) }, 'a cached image could not be read; it is fetched again');
      this.forget(key);
      return null;
    }
  }

  private async fetchAndKeep(url: string, key: string): Promise<ImageAnswer> {
    const refused = this.refusal(url);
    if (refused) {
      this.log.warn({ target: originOf(url) }, 'an image from outside the store was refused');
      return { ok: false, status: 403, reason: refused };
    }
    const controller = new AbortController();
    this.running.add(controller);
    const cancel = this.clock.schedule(() => controller.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    let fetched: FetchedImage;
    try {
      fetched = await this.options.fetch(url, { maxBytes: this.maxImageBytes, signal: controller.signal });
    } catch (error) {
      const timedOut = controller.signal.aborted && !this.closed;
      this.failed(url, error);
      if (this.closed) return { ok: false, status: 503, reason: 'The image cache is closed.' };
      return timedOut
        ? { ok: false, status: 504, reason: 'The store did not send the image in time.' }
        : { ok: false, status: 502, reason: `The image could not be fetched: ${errorFacts(error).cause ?? errorMessage(error)}` };
    } finally {
      cancel();
      this.running.delete(controller);
    }

    if (fetched.statusCode !== 200) {
      this.failed(url, new Error(`HTTP ${fetched.statusCode}`));
      return { ok: false, status: fetched.statusCode === 404 ? 404 : 502, reason: `The store answered HTTP ${fetched.statusCode} for the image.` };
    }
    const contentType = fetched.contentType.split(';')[0]!.trim().toLowerCase();
    const extension = extensions.get(contentType);
    if (!extension || !looksLike(contentType, fetched.body)) {
      this.log.warn({ target: originOf(url), contentType: contentType.slice(0, 100) }, 'an image of a type the app does not show was refused');
      return { ok: false, status: 502, reason: `Not an image the app shows (${contentType.slice(0, 100) || 'no type'}).` };
    }
    if (fetched.body.length > this.maxImageBytes) {
      // The fetcher stops reading past the bound; a fetcher that did not is caught here.
      return { ok: false, status: 502, reason: `The image is larger than ${this.maxImageBytes} bytes.` };
    }
    if ((await this.loaded()) && !this.closed) await this.keep(key, `${key}.${extension}`, contentType, fetched.body);
    return { ok: true, contentType, body: fetched.body, from: 'store' };
  }

  /** Why `url` may not be fetched, or null: only the host of the store in use, https or loopback http, no credentials. */
  private refusal(url: string): string | null {
    let target: URL;
    let store: URL;
    try {
      target = new URL(url);
      store = new URL(this.options.storeEndpoint());
    } catch {
      // Checked for http(s) already; an endpoint that does not parse cannot vouch for any host.
      return 'The image URL or the store endpoint is not a valid URL.';
    }
    if (target.username !== '' || target.password !== '') return 'Image URLs with credentials are refused.';
    if (target.protocol !== 'https:' && !(target.protocol === 'http:' && isLoopbackHost(target.hostname))) {
      return 'Images are fetched over https only (plain http only on this machine).';
    }
    if (target.hostname !== store.hostname) return "Images are fetched only from the store's own host.";
    return null;
  }

  /** Writes one at a time, so the cap holds however many images arrive together. */
  private keep(key: string, file: string, contentType: string, body: Buffer): Promise<void> {
    // `write` never rejects: its failures are logged inside.
    this.writing = this.writing.then(() => this.write(key, file, contentType, body));
    return this.writing;
  }

  private async write(key: string, file: string, contentType: string, body: Buffer): Promise<void> {
    if (body.length > this.maxBytes || this.closed) return;
    const known = this.entries.get(key);
    if (known) this.forget(key);
    // The least recently used go first, until the new one fits.
    for (const [oldKey] of this.entries) {
      if (this.totalBytes + body.length <= this.maxBytes) break;
      this.forget(oldKey);
    }
    const temporary = path.join(this.dir, `${key}.${crypto.randomBytes(6).toString('hex')}.tmp`);
    try {
      await fs.promises.writeFile(temporary, body, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
      const now = this.useTime();
      await fs.promises.utimes(temporary, now, now);
      await fs.promises.rename(temporary, path.join(this.dir, file));
      const modeFailure = restrictMode(path.join(this.dir, file), PRIVATE_FILE_MODE);
      if (modeFailure) this.log.warn({ ...errorFacts(modeFailure) }, 'a cached image could not be made owner-only');
      this.entries.set(key, { file, bytes: body.length, contentType });
      this.totalBytes += body.length;
    } catch (error) {
      // A full disk or a folder that went away: the image is still shown, just not kept.
      this.log.warn({ ...errorFacts(error) }, 'an image could not be kept on disk');
      await fs.promises.rm(temporary, { force: true }).catch((cleanup: unknown) => {
        this.log.debug({ ...errorFacts(cleanup) }, 'a temporary image file could not be removed');
      });
    }
  }

  /**
   * The time a use is written on disk (a file's mtime): the cache's clock, but always after the
   * last use, so that two uses within one millisecond (or one coarse file-system tick, which a
   * written file would get) keep their order after a restart.
   */
  private useTime(): Date {
    this.lastUse = Math.max(this.clock.now(), this.lastUse + 1);
    return new Date(this.lastUse);
  }

  private forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
    try {
      fs.rmSync(path.join(this.dir, entry.file), { force: true });
    } catch (error) {
      // Left on disk (it is not counted any more); the next start finds it and counts it again.
      this.log.warn({ ...errorFacts(error) }, 'an evicted image could not be removed');
    }
  }

  private loaded(): Promise<boolean> {
    this.loading ??= this.load();
    return this.loading;
  }

  /** Reads what an earlier run kept: oldest use first, temporary files of a crashed write removed, the cap applied. */
  private async load(): Promise<boolean> {
    try {
      const modeFailure = makePrivateDir(this.dir);
      if (modeFailure) this.log.warn({ ...errorFacts(modeFailure) }, 'the image cache folder could not be made owner-only');
      const found: (Entry & { key: string; usedAt: number })[] = [];
      for (const name of await fs.promises.readdir(this.dir)) {
        const full = path.join(this.dir, name);
        if (name.endsWith('.tmp')) {
          await fs.promises.rm(full, { force: true });
          continue;
        }
        const match = cachedFileName.exec(name);
        if (!match) continue;
        const stat = await fs.promises.lstat(full);
        if (!stat.isFile()) continue;
        found.push({ key: match[1]!, file: name, bytes: stat.size, contentType: typesByExtension.get(match[2]!)!, usedAt: stat.mtimeMs });
      }
      found.sort((a, b) => a.usedAt - b.usedAt || a.file.localeCompare(b.file));
      for (const entry of found) this.lastUse = Math.max(this.lastUse, Math.ceil(entry.usedAt));
      for (const { key, usedAt: _usedAt, ...entry } of found) {
        // The same image under another type (the store changed it): the older file goes.
        if (this.entries.has(key)) this.forget(key);
        this.entries.set(key, entry);
        this.totalBytes += entry.bytes;
      }
      for (const [key] of this.entries) {
        if (this.totalBytes <= this.maxBytes) break;
        this.forget(key);
      }
      return true;
    } catch (error) {
      // Images are then fetched and shown, never kept: cards still work while the store is reachable.
      this.log.error({ ...errorFacts(error) }, 'the image cache folder could not be read; images are not kept this run');
      return false;
    }
  }

  private failed(url: string, error: unknown): void {
    const now = this.clock.now();
    if (now - this.lastFailureLog < 60_000) {
      this.failuresNotLogged++;
      return;
    }
    this.log.warn(
      { target: originOf(url), ...errorFacts(error), alsoFailedSinceLastLine: this.failuresNotLogged },
      'a product image could not be fetched',
    );
    this.lastFailureLog = now;
    this.failuresNotLogged = 0;
  }
}

function keyOf(url: string): string {
  return crypto.createHash('sha256').update(url).digest('hex');
}

/** The origin only, for the log. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The body matches its declared type by its first bytes (a page or a script sent as an image is refused). */
export function looksLike(contentType: string, body: Buffer): boolean {
  const starts = (...bytes: number[]) => bytes.every((byte, index) => body[index] === byte);
  switch (contentType) {
    case 'image/png':
      return starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    case 'image/jpeg':
      return starts(0xff, 0xd8, 0xff);
    case 'image/gif':
      return body.subarray(0, 6).toString('latin1') === 'GIF87a' || body.subarray(0, 6).toString('latin1') === 'GIF89a';
    case 'image/webp':
      return body.subarray(0, 4).toString('latin1') === 'RIFF' && body.subarray(8, 12).toString('latin1') === 'WEBP';
    case 'image/avif':
      return body.subarray(4, 8).toString('latin1') === 'ftyp' && /^avi[fs]$/.test(body.subarray(8, 12).toString('latin1'));
    case 'image/svg+xml': {
      const head = body
        .subarray(0, 1024)
        .toString('utf8')
        .replace(/^\uFEFF/, '')
        .trimStart();
      return head.startsWith('<') && /<svg[\s>]/i.test(head);
    }
    default:
      return false;
  }
}

/**
 * Headers for an image served to the page (app protocol and bridge alike): its own type, never
 * sniffed, and no script or frame even if it is an SVG opened on its own.
 */
export function imageResponseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    'Cache-Control': 'private, max-age=86400',
  };
}
