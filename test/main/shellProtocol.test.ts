import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, productImageSrc } from '@shared/security';
import type { ImageAnswer } from '../../src/main/images';
import { APP_PAGE_URL, appScheme, createAppProtocolHandler, rendererPathOf } from '../../src/main/shell/protocol';
import { tempDir } from '../helpers/tempDir';

// The handler of the app's scheme is plain code over Request/Response (what `protocol.handle`
// gives and takes); it is called here with real Requests on a real renderer folder on disk.

const SECRET = 'secret-outside-the-app';

function layout() {
  const base = tempDir('mm-protocol-');
  const root = path.join(base, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>MM</title>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(base, 'secret.txt'), SECRET);
  fs.mkdirSync(path.join(base, 'outside'));
  fs.writeFileSync(path.join(base, 'outside', 'secret.txt'), SECRET);
  // Links inside the renderer folder that lead out of it.
  fs.symlinkSync(path.join(base, 'outside'), path.join(root, 'link-out'), 'dir');
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'secret-link.txt'), 'file');
  return { base, root };
}

function handlerOn(root: string, images: (src: string) => Promise<ImageAnswer> = () => Promise.resolve({ ok: false, status: 404, reason: 'none' })) {
  return createAppProtocolHandler({ rendererDir: root, images, imageInitiators: ['http://localhost:5173'] });
}

async function get(handler: (request: Request) => Promise<Response>, url: string, init?: RequestInit & { initiatorOrigin?: string }) {
  const request = new Request(url, init);
  if (init?.initiatorOrigin !== undefined) Object.assign(request, { initiatorOrigin: init.initiatorOrigin });
  const response = await handler(request);
  return { response, text: await response.text() };
}

describe('the app protocol (mm-app://app)', () => {
  it('is registered as a standard, secure scheme that does not bypass the CSP', () => {
    expect(APP_PAGE_URL).toBe('mm-app://app/index.html');
    expect(appScheme).toEqual({
      scheme: 'mm-app',
      privileges: expect.objectContaining({ standard: true, secure: true }) as unknown,
    });
    expect(appScheme.privileges?.bypassCSP).toBeUndefined();
    expect(appScheme.privileges?.allowServiceWorkers).toBeUndefined();
  });

  it('serves the built renderer with the CSP and nosniff headers', async () => {
    const { root } = layout();
    const handler = handlerOn(root);
    for (const url of ['mm-app://app/', 'mm-app://app/index.html', 'mm-app://app/index.html?x=1#chat']) {
      const { response, text } = await get(handler, url);
      expect(response.status, url).toBe(200);
      expect(text).toContain('<title>MM</title>');
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const script = await get(handler, 'mm-app://app/assets/app.js');
    expect(script.response.status).toBe(200);
    expect(script.response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const head = await get(handler, 'mm-app://app/index.html', { method: 'HEAD' });
    expect(head.response.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('refuses every way out of the renderer folder', async () => {
    const { base, root } = layout();
    const handler = handlerOn(root);
    const attempts = [
      'mm-app://app/../secret.txt',
      'mm-app://app/assets/../../secret.txt',
      'mm-app://app/%2e%2e/secret.txt',
      'mm-app://app/%2E%2E/%2e%2e/secret.txt',
      'mm-app://app/assets/%2e%2e/%2e%2e/secret.txt',
      'mm-app://app/.%2e/secret.txt',
      'mm-app://app/..%2fsecret.txt',
      'mm-app://app/assets%2f..%2f..%2fsecret.txt',
      'mm-app://app/..%5csecret.txt',
      'mm-app://app/assets%5c..%5c..%5csecret.txt',
      'mm-app://app/assets\\..\\..\\secret.txt',
      'mm-app://app/%252e%252e/secret.txt',
      `mm-app://app/${base.replace(/^\//, '')}/secret.txt`,
      `mm-app://app/${encodeURIComponent(path.join(base, 'secret.txt'))}`,
      `mm-app://app//${base.replace(/^\//, '')}/secret.txt`,
      'mm-app://app/C:/Windows/win.ini',
      'mm-app://app/C%3A%5CWindows%5Cwin.ini',
      'mm-app://app/index.html%00.js',
      'mm-app://app/%E0%A4%A',
      'mm-app://app/link-out/secret.txt',
      'mm-app://app/secret-link.txt',
      'mm-app://app/assets',
      'mm-app://other/index.html',
      'mm-app://app.evil/index.html',
    ];
    for (const url of attempts) {
      const { response, text } = await get(handler, url);
      expect(response.status, url).toBeGreaterThanOrEqual(400);
      expect(text, url).not.toContain(SECRET);
    }
    const post = await get(handler, 'mm-app://app/index.html', { method: 'POST', body: 'x' });
    expect(post.response.status).toBe(405);
  });

  it('refuses traversal in the raw path too, before any URL normalisation', () => {
    expect(rendererPathOf('/')).toEqual(['index.html']);
    expect(rendererPathOf('/assets/app.js')).toEqual(['assets', 'app.js']);
    expect(rendererPathOf('/assets/a%20b.js')).toEqual(['assets', 'a b.js']);
    for (const raw of [
      '/../x',
      '/a/../../x',
      '/./x',
      '/%2e%2e/x',
      '/%2E%2e/x',
      '/a%2f..%2f..%2fx',
      '/a%2Fb',
      '/a\\b',
      '/a%5cb',
      '/a%00b',
      '//etc/passwd',
      '/C:/x',
      '/a/',
      '/%zz',
      'relative',
    ]) {
      expect(rendererPathOf(raw), raw).toBeNull();
    }
  });

  it('serves product images from the image cache, only to the app (and the dev server) itself', async () => {
    const { root } = layout();
    const asked: string[] = [];
    const png = Buffer.from('89504e470d0a1a0a0000', 'hex');
    const handler = handlerOn(root, (src) => {
      asked.push(src);
      return Promise.resolve({ ok: true, contentType: 'image/png', body: png, from: 'cache' });
    });
    const storeUrl = 'https://online.mmvietnam.com/media/catalog/product/a b.png';
    const url = `mm-app://app${productImageSrc(storeUrl)}`;
    const own = await handler(Object.assign(new Request(url), { initiatorOrigin: 'mm-app://app' }));
    expect(own.status).toBe(200);
    expect(Buffer.from(await own.arrayBuffer())).toEqual(png);
    expect(own.headers.get('content-type')).toBe('image/png');
    expect(own.headers.get('x-content-type-options')).toBe('nosniff');
    expect(own.headers.get('content-security-policy')).toContain('sandbox');
    expect(asked).toEqual([storeUrl]);

    expect((await get(handler, url, { initiatorOrigin: 'http://localhost:5173' })).response.status).toBe(200);
    expect((await get(handler, url, { initiatorOrigin: 'https://evil.example' })).response.status).toBe(403);
    expect((await get(handler, 'mm-app://app/product-image')).response.status).toBe(400);
    expect(asked).toHaveLength(2);

    const missing = handlerOn(root, () => Promise.resolve({ ok: false, status: 502, reason: 'store offline' }));
    const refused = await get(missing, url);
    expect(refused.response.status).toBe(502);
    expect(refused.text).toBe('store offline');
  });
});
