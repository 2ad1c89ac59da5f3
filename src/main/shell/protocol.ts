import fs from 'node:fs';
import path from 'node:path';
import type { CustomScheme, Protocol } from 'electron';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, CONTENT_SECURITY_POLICY, PRODUCT_IMAGE_PATH } from '@shared/security';
import { silentLogger, type Logger } from '../core/logger';
import { imageResponseHeaders, type ImageAnswer } from '../images';
import { contentTypeOf } from '../core/contentTypes';

/** The page the built app loads: never `file://` (Electron's security checklist, item 18). */
export const APP_PAGE_URL = `${APP_ORIGIN}/index.html`;

/**
 * The app's scheme as Chromium must know it before the app is ready: standard (relative URLs,
 * an origin of its own, web storage), secure (like https: no mixed-content downgrade), fetch
 * allowed for the page's own files. It does not bypass the CSP, and has no service workers.
 */
export const appScheme: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
};

export interface AppProtocolOptions {
  /** The built renderer (out/renderer); nothing outside it is ever served. */
  rendererDir: string;
  /** Product images (`/product-image?src=…`) from the services' image cache. */
  images: (src: string) => Promise<ImageAnswer>;
  /**
   * Origins whose pages may load product images besides the app's own: the dev server's under
   * `npm run dev`. Requests the browser starts itself carry no initiator and are served.
   */
  imageInitiators?: readonly string[];
  logger?: Logger;
}

/**
 * The relative path under the renderer folder that `pathname` names, or null when it tries to
 * leave it or is not a plain path: `..` and `.` segments (also percent-encoded), encoded slashes
 * and backslashes, NUL, drive letters and other `:`, empty segments (`//etc`), bad encodings.
 */
export function rendererPathOf(pathname: string): string[] | null {
  if (!pathname.startsWith('/')) return null;
  const raw = pathname === '/' ? ['index.html'] : pathname.slice(1).split('/');
  const segments: string[] = [];
  for (const part of raw) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      // A malformed escape: not a path the app ever asks for.
      return null;
    }
    if (segment === '' || segment === '.' || segment === '..' || /[/\\\0:]/.test(segment)) return null;
    segments.push(segment);
  }
  return segments;
}

/**
 * The handler of the app's scheme: `mm-app://app/<file>` from the built renderer folder only, with
 * the CSP and `nosniff` on every answer, and `mm-app://app/product-image?src=<store URL>` from the
 * image cache. Symbolic links that lead out of the folder are refused, like `..`.
 */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const log = options.logger ?? silentLogger();
  const root = path.resolve(options.rendererDir);
  const initiators = new Set([APP_ORIGIN, ...(options.imageInitiators ?? [])]);
  let realRoot: Promise<string> | null = null;

  const refuse = (status: number, url: URL, why: string): Response => {
    // The path only: a product image's query names a store URL, nothing secret, but never needed here.
    log.warn({ path: url.pathname.slice(0, 200), httpStatus: status, why }, 'app protocol request refused');
    return new Response(status === 405 ? null : 'Not found', {
      status,
      headers: {
        'Content-Type': 'text/plain; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
        ...(status === 405 ? { Allow: 'GET, HEAD' } : {}),
      },
    });
  };

  async function serveImage(request: Request, url: URL): Promise<Response> {
    const initiator = (request as Request & { initiatorOrigin?: string }).initiatorOrigin;
    if (initiator !== undefined && !initiators.has(initiator)) return refuse(403, url, 'image requested by another origin');
    const src = url.searchParams.get('src');
    if (!src) return refuse(400, url, 'image without src');
    const answer = await options.images(src);
    if (!answer.ok) {
      return new Response(request.method === 'HEAD' ? null : answer.reason, {
        status: answer.status,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
      });
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(answer.body), {
      status: 200,
      headers: { ...imageResponseHeaders(answer.contentType), 'Content-Length': String(answer.body.length) },
    });
  }

  async function serveFile(request: Request, url: URL): Promise<Response> {
    const segments = rendererPathOf(url.pathname);
    if (!segments) return refuse(404, url, 'not a path inside the app');
    const file = path.join(root, ...segments);
    const relative = path.relative(root, file);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return refuse(404, url, 'outside the app');
    let real: string;
    try {
      real = await fs.promises.realpath(file);
      realRoot ??= fs.promises.realpath(root);
      const within = path.relative(await realRoot, real);
      if (within === '' || within.startsWith('..') || path.isAbsolute(within)) return refuse(404, url, 'a link out of the app');
      if (!(await fs.promises.stat(real)).isFile()) return refuse(404, url, 'not a file');
    } catch {
      // Absent (or unreadable): the same answer as any other path that is not the app's.
      return refuse(404, url, 'no such file');
    }
    const body = request.method === 'HEAD' ? null : new Uint8Array(await fs.promises.readFile(real));
    return new Response(body, {
      status: 200,
      headers: {
        'Content-Type': contentTypeOf(real),
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      },
    });
  }

  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      // Chromium only hands over URLs it parsed; anything else is answered, not thrown.
      return new Response(null, { status: 400 });
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return refuse(404, url, 'another host');
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, url, 'method');
    try {
      return url.pathname === PRODUCT_IMAGE_PATH ? await serveImage(request, url) : await serveFile(request, url);
    } catch (error) {
      // Read failures after the checks (a file replaced during a rebuild): the page gets a 500, main goes on.
      log.error({ path: url.pathname.slice(0, 200), err: error }, 'app protocol request failed');
      return new Response(null, { status: 500 });
    }
  };
}

/** Before the app is ready: the scheme's privileges. */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([appScheme]);
}
