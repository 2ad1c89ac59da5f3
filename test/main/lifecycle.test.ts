import fs from 'node:fs';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { startBridge } from '../../src/main/bridge/server';
import { startStandin } from '../commerce/helpers';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

/** Files this process holds open under `dir` (Linux /proc; the CI machines are Linux). */
function openFilesUnder(dir: string): string[] {
  return fs
    .readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return fs.readlinkSync(path.join('/proc/self/fd', fd));
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(dir));
}

/** libuv releases closed handles in its close phase, which follows the check phase of the same turn. */
async function settleEventLoop(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

function activeResources(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((kind) => kind !== 'TTYWrap')
    .sort();
}

/** Resources present now that were not there before (the test runner's own timers come and go). */
function added(before: string[], after: string[]): string[] {
  const remaining = [...before];
  return after.filter((kind) => {
    const index = remaining.indexOf(kind);
    if (index === -1) return true;
    remaining.splice(index, 1);
    return false;
  });
}

describe('service lifecycle', () => {
  it.each([
    ['a store on loopback', false],
    ['the in-process demo store', true],
  ])(
    'starts and closes the services and the bridge 50 times with %s, leaving no sockets, timers or open database files',
    async (_label, demoStore) => {
      const store = demoStore ? null : await startStandin();
      const dir = tempDir();
      const rendererDir = tempDir();
      fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html>');
      const before = activeResources();
      // The test's own HTTP client, closed at the end so only the app's handles are left to count.
      const client = new Agent();
      for (let i = 0; i < 50; i++) {
        const services = await startServices(dir, {
          settingsOverrides: store ? { storeEndpoint: store.endpoint } : { demoStore: true },
        });
        const bridge = await startBridge({ dispatch: services.dispatch, events: services.events, rendererDir });
        const response = await fetch(`${bridge.origin}/api/invoke/app.info`, {
          method: 'POST',
          dispatcher: client,
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bridge.token}` },
          body: '{}',
        });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
        // One real store call, so the store's connection pool (and the demo store) has open sockets to close.
        const search = await services.dispatch('catalog.search', { query: 'sữa tươi' }, { transport: 'test' });
        expect(search.ok).toBe(true);
        await bridge.close();
        await services.close();
        await services.close(); // closing twice is harmless
        expect(services.events.size).toBe(0);
      }
      await client.close();
      await store?.close();
      await settleEventLoop();
      expect(openFilesUnder(dir)).toEqual([]);
      expect(added(before, activeResources())).toEqual([]);
    },
  );
});
