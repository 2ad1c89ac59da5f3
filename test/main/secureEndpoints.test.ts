import { afterEach, describe, expect, it } from 'vitest';
import { defaultSettings, settingsPatchSchema, settingsSchema, storeEndpointSchema, updateFeedUrlSchema } from '@shared/settings';
import type { Services } from '../../src/main/app/services';
import { dictionaries } from '../../src/renderer/src/i18n/strings';
import { tempDir } from '../helpers/tempDir';
import { startServices } from '../helpers/services';

// Electron's checklist item 1 (only load secure content): the store endpoint and the update server
// are https, or plain http only to this machine (the demo store, a stand-in).

const running: Services[] = [];
afterEach(async () => {
  for (const services of running.splice(0)) await services.close();
});

describe('the secure endpoint rule', () => {
  it('refuses http:// to any other host, and accepts https:// and loopback http', () => {
    for (const refused of [
      'http://online.mmvietnam.com/graphql',
      'http://10.0.0.5/graphql',
      'http://127.0.0.1.evil.example/graphql',
      'http://localhost.evil.example/graphql',
      'ftp://online.mmvietnam.com/graphql',
      'https://user:secret@online.mmvietnam.com/graphql',
      'online.mmvietnam.com/graphql',
      '',
    ]) {
      expect(storeEndpointSchema.safeParse(refused).success, refused).toBe(false);
    }
    for (const accepted of [
      'https://online.mmvietnam.com/graphql',
      'https://10.0.0.5:8443/graphql',
      'http://127.0.0.1:4000/graphql',
      'http://localhost:4000/graphql',
      'http://[::1]:4000/graphql',
    ]) {
      expect(storeEndpointSchema.safeParse(accepted).success, accepted).toBe(true);
    }
    expect(storeEndpointSchema.safeParse('http://online.mmvietnam.com/graphql').error?.issues[0]?.message).toMatch(/https/);
    expect(settingsSchema.safeParse(defaultSettings).success).toBe(true);
    expect(defaultSettings.storeEndpoint).toMatch(/^https:\/\//);
  });

  it('holds for the update server too, which may be left empty (the one set at build time)', () => {
    expect(updateFeedUrlSchema.safeParse('').success).toBe(true);
    expect(updateFeedUrlSchema.safeParse('https://updates.mmvietnam.com/mm-assistant').success).toBe(true);
    expect(updateFeedUrlSchema.safeParse('http://127.0.0.1:8080/').success).toBe(true);
    expect(updateFeedUrlSchema.safeParse('http://updates.mmvietnam.com/mm-assistant').success).toBe(false);
    expect(settingsPatchSchema.safeParse({ updatesEnabled: false }).success).toBe(true);
  });

  it('is refused by settings.set naming the field, and nothing is saved', async () => {
    const services = await startServices(tempDir('mm-endpoint-'));
    running.push(services);
    const refused = await services.dispatch('settings.set', { storeEndpoint: 'http://online.mmvietnam.com/graphql' }, { transport: 'test' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_request', details: [expect.objectContaining({ path: ['storeEndpoint'] })] } });
    expect(services.settings.get().storeEndpoint).toBe(defaultSettings.storeEndpoint);
    const feed = await services.dispatch('settings.set', { updateFeedUrl: 'http://updates.example/' }, { transport: 'test' });
    expect(feed).toMatchObject({ ok: false, error: { code: 'invalid_request', details: [expect.objectContaining({ path: ['updateFeedUrl'] })] } });

    const accepted = await services.dispatch('settings.set', { storeEndpoint: 'http://127.0.0.1:9/graphql' }, { transport: 'test' });
    expect(accepted).toMatchObject({ ok: true, value: { storeEndpoint: 'http://127.0.0.1:9/graphql' } });
  });

  it('a plain-http endpoint saved by an older version falls back to the default at start', async () => {
    const folder = tempDir('mm-endpoint-');
    const first = await startServices(folder);
    first
      .db!.prepare("INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES ('storeEndpoint', ?, 0)")
      .run(JSON.stringify('http://store.example/graphql'));
    await first.close();
    const again = await startServices(folder);
    running.push(again);
    expect(again.settings.get().storeEndpoint).toBe(defaultSettings.storeEndpoint);
  });

  it('is explained to the staff in Vietnamese and in English', () => {
    expect(dictionaries.vi['validation.field.storeEndpoint']).toMatch(/https/);
    expect(dictionaries.vi['validation.field.storeEndpoint']).toContain('Địa chỉ cửa hàng');
    expect(dictionaries.en['validation.field.storeEndpoint']).toMatch(/https URL; plain http only on this machine/);
    expect(dictionaries.vi['validation.field.updateFeedUrl']).toMatch(/https/);
    expect(dictionaries.en['validation.field.updateFeedUrl']).toMatch(/https/);
  });
});
