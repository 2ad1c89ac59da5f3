import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge, type BridgeServer } from '../../src/main/bridge/server';
import type { Services } from '../../src/main/app/services';
import { CONTENT_SECURITY_POLICY } from '@shared/security';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

let services: Services | null = null;
let bridge: BridgeServer | null = null;
afterEach(async () => {
  await bridge?.close();
  await services?.close();
  bridge = null;
  services = null;
});

async function start(): Promise<BridgeServer> {
  const outside = tempDir();
  const rendererDir = path.join(outside, 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>MM</title>');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside the renderer folder');
  services = await startServices(tempDir());
  bridge = await startBridge({ dispatch: services.dispatch, events: services.events, rendererDir });
  return bridge;
}

function rawGet(origin: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, path: rawPath, method: 'GET' }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

function invoke(server: BridgeServer, channel: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.origin}/api/invoke/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, ...headers },
    body: JSON.stringify(body),
  });
}

describe('web bridge', () => {
  it('listens on loopback only and answers contract calls with the token', async () => {
    const server = await start();
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await invoke(server, 'app.info', {});
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, value: { mode: 'bridge', storeCode: 'b2c_10010_vi' } });
  });

  it('refuses calls without the token or with a wrong one (401) and runs nothing', async () => {
    const server = await start();
    const missing = await fetch(`${server.origin}/api/invoke/settings.set`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ language: 'en' }),
    });
    expect(missing.status).toBe(401);
    const wrong = await invoke(server, 'settings.set', { language: 'en' }, { Authorization: `Bearer ${'0'.repeat(64)}` });
    expect(wrong.status).toBe(401);
    const events = await fetch(`${server.origin}/api/events`);
    expect(events.status).toBe(401);
    expect(services!.settings.get().language).toBe('vi');
  });

  it('refuses cross-origin calls even with the token (403)', async () => {
    const server = await start();
    const fromOtherSite = await invoke(server, 'settings.set', { language: 'en' }, { Origin: 'http://evil.example' });
    expect(fromOtherSite.status).toBe(403);
    const crossSite = await invoke(server, 'settings.set', { language: 'en' }, { 'Sec-Fetch-Site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(services!.settings.get().language).toBe('vi');
    const sameOrigin = await invoke(server, 'settings.set', { language: 'en' }, { Origin: server.origin });
    expect(await sameOrigin.json()).toMatchObject({ ok: true, value: { language: 'en' } });
  });

  it('gives typed errors for unknown channels, bad JSON and invalid requests', async () => {
    const server = await start();
    expect(await (await invoke(server, 'nope.nothing', {})).json()).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    const badJson = await fetch(`${server.origin}/api/invoke/settings.set`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
      body: '{"language":',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await (await invoke(server, 'settings.set', { quotas: { warmTtlDays: -3 } })).json()).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });

  it('serves the renderer with the CSP and nothing outside its folder', async () => {
    const server = await start();
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    // Raw HTTP paths: fetch would normalise the dots away before sending.
    for (const sneaky of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/renderer/../../secret.txt']) {
      const { status, body } = await rawGet(server.origin, sneaky);
      expect(status, sneaky).toBe(404);
      expect(body).not.toContain('outside the renderer folder');
    }
  });

  it('streams contract events to an authorised listener', async () => {
    const server = await start();
    const controller = new AbortController();
    const stream = await fetch(`${server.origin}/api/events`, {
      headers: { Authorization: `Bearer ${server.token}` },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    await reader.read(); // the ": connected" comment: the subscription is live
    await invoke(server, 'settings.set', { language: 'en' });
    let received = '';
    for (let i = 0; i < 20 && !received.includes('\n\n'); i++) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value;
    }
    expect(received).toContain('event: settings.changed');
    expect(received).toContain('"language":"en"');
    controller.abort();
  });
});
