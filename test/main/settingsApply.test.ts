import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/app/services';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

const call = { transport: 'test' } as const;

describe('settings reach the services through one path', () => {
  let services: Services | null = null;
  afterEach(async () => {
    await services?.close();
    services = null;
  });

  it('a lower quota saved in Settings refuses the next write at once, and the renderer hears the change', async () => {
    services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    const heard: string[] = [];
    services.events.subscribe((name) => heard.push(name));
    // About 600 KB that does not compress: a cold entry that counts nearly its full size.
    const big = crypto.randomBytes(450_000).toString('base64');
    expect(await services.dispatch('memory.put', { userId: 'kh-q', key: 'mot', value: big }, call)).toMatchObject({ ok: true });
    expect(await services.dispatch('memory.put', { userId: 'kh-q', key: 'hai', value: big }, call)).toMatchObject({ ok: true });

    const saved = await services.dispatch('settings.set', { quotas: { coldUserBytes: 1024 * 1024 } }, call);
    expect(saved).toMatchObject({ ok: true, value: { quotas: { coldUserBytes: 1024 * 1024 } } });
    expect(heard).toContain('settings.changed');
    const refused = await services.dispatch('memory.put', { userId: 'kh-q', key: 'ba', value: big }, call);
    expect(refused).toMatchObject({ ok: false, error: { code: 'quota_exceeded' } });
  });

  it('a change saved while a Settings save is being applied is announced too, so the window ends with the settings as stored', async () => {
    services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    const heard: { apiKeySet: boolean; storeDeadlineSeconds: number }[] = [];
    services.events.subscribe((name, payload) => {
      if (name === 'settings.changed') heard.push(payload as { apiKeySet: boolean; storeDeadlineSeconds: number });
    });
    // Both at once, as two windows (or a window and the bridge) can send them.
    const [saved, keyed] = await Promise.all([
      services.dispatch('settings.set', { storeDeadlineSeconds: 12 }, call),
      services.dispatch('settings.setApiKey', { apiKey: 'AIzaSyTEST_KEY_0123456789abcdefghijkl' }, call),
    ]);
    expect(saved).toMatchObject({ ok: true });
    expect(keyed).toMatchObject({ ok: true });
    const stored = await services.dispatch('settings.get', {}, call);
    expect(stored).toMatchObject({ ok: true, value: { apiKeySet: true, storeDeadlineSeconds: 12 } });
    // The last view announced is what is stored: a window that applies each event shows the truth.
    expect(heard.at(-1)).toMatchObject({ apiKeySet: true, storeDeadlineSeconds: 12 });
  });
});
