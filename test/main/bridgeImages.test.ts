import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, productImageSrc } from '@shared/security';
import type { Services } from '../../src/main/app/services';
import { startBridge, type BridgeServer } from '../../src/main/bridge/server';
import { IMAGE_CACHE_DIR_NAME } from '../../src/main/images';
import { startStandin } from '../commerce/helpers';
import { tempDir } from '../helpers/tempDir';
import { startServices } from '../helpers/services';

// The bridge serves product images from the same disk cache as the desktop app's protocol: real
// services on a real data folder, the store stand-in on loopback (its images are SVGs), real HTTP.

const open: { bridge?: BridgeServer; services?: Services }[] = [];
afterEach(async () => {
  for (const { bridge, services } of open.splice(0).reverse()) {
    await bridge?.close();
    await services?.close();
  }
});

async function bridgeOn(userDataDir: string, storeEndpoint: string) {
  const services = await startServices(userDataDir, { settingsOverrides: { storeEndpoint } });
  const rendererDir = tempDir('mm-renderer-');
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>MM</title>');
  const bridge = await startBridge({ dispatch: services.dispatch, events: services.events, rendererDir, images: (src) => services.images.get(src) });
  open.push({ bridge, services });
  return { services, bridge };
}

const sameOrigin = { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Dest': 'image' };

describe('product images through the web bridge', () => {
  it('are fetched from the store once, kept on disk, and served with the store gone, also after a restart', async () => {
    const store = await startStandin();
    const userData = tempDir('mm-bridge-images-');
    const first = await bridgeOn(userData, store.endpoint);
    const found = await first.services.commerce.searchProducts({ query: 'sữa tươi' });
    const storeUrl = found.items.find((item) => item.imageUrl)!.imageUrl!;
    const imageUrl = `${first.bridge.origin}${productImageSrc(storeUrl)}`;

    const page = await fetch(first.bridge.url);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https:|http:/);

    const before = store.stats.requests;
    const fetched = await fetch(imageUrl, { headers: sameOrigin });
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('image/svg+xml');
    expect(fetched.headers.get('x-content-type-options')).toBe('nosniff');
    expect(fetched.headers.get('content-security-policy')).toContain('sandbox');
    const svg = await fetched.text();
    expect(svg).toContain('<svg');
    expect(await (await fetch(imageUrl, { headers: sameOrigin })).text()).toBe(svg);
    expect(store.stats.requests - before).toBe(1);
    expect(fs.readdirSync(path.join(userData, IMAGE_CACHE_DIR_NAME))).toHaveLength(1);

    await store.close();
    expect(await (await fetch(imageUrl, { headers: sameOrigin })).text()).toBe(svg);
    const { bridge, services } = open.pop()!;
    await bridge!.close();
    await services!.close();

    const again = await bridgeOn(userData, store.endpoint);
    const afterRestart = await fetch(`${again.bridge.origin}${productImageSrc(storeUrl)}`, { headers: sameOrigin });
    expect(afterRestart.status).toBe(200);
    expect(await afterRestart.text()).toBe(svg);
  });

  it('refuses other sites, other hosts and requests that are not GET', async () => {
    const store = await startStandin();
    const { bridge } = await bridgeOn(tempDir('mm-bridge-images-'), store.endpoint);
    const before = store.stats.requests;
    const image = (src: string) => `${bridge.origin}${productImageSrc(src)}`;
    const own = `${store.endpoint.replace('/graphql', '')}/media/catalog/product/1.svg`;
    expect((await fetch(image(own), { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(403);
    expect((await fetch(image('https://evil.example/a.png'), { headers: sameOrigin })).status).toBe(403);
    expect((await fetch(image('http://10.0.0.8/a.png'), { headers: sameOrigin })).status).toBe(403);
    expect((await fetch(`${bridge.origin}/product-image`, { headers: sameOrigin })).status).toBe(400);
    expect((await fetch(image(own), { method: 'POST', headers: sameOrigin })).status).toBe(405);
    expect(store.stats.requests).toBe(before);
  });
});
