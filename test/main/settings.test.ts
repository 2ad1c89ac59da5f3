import { describe, expect, it } from 'vitest';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { ProcessSecretStore } from '../../src/main/settings/secretStore';

describe('settings', () => {
  it('persists a saved setting across a restart on the same folder', async () => {
    const dir = tempDir();
    const first = await startServices(dir);
    const saved = await first.dispatch('settings.set', { language: 'en', storeCode: 'b2c_10011_vi' }, { transport: 'test' });
    expect(saved.ok).toBe(true);
    await first.close();

    const second = await startServices(dir);
    const result = await second.dispatch('settings.get', {}, { transport: 'test' });
    expect(result).toMatchObject({ ok: true, value: { language: 'en', storeCode: 'b2c_10011_vi', apiKeySet: false } });
    await second.close();
  });
});

describe('API key in bridge mode', () => {
  it('starts from GEMINI_API_KEY, can be replaced or cleared for this run, and says where it comes from', async () => {
    const fromEnv = 'AIzaSyFROM_ENVIRONMENT_0123456789abcd';
    const services = await startServices(tempDir(), { createSecretStore: () => new ProcessSecretStore(fromEnv) });
    try {
      expect(await services.dispatch('settings.get', {}, { transport: 'test' })).toMatchObject({
        ok: true,
        value: { apiKeySet: true, apiKeyStorage: 'environment' },
      });
      const replaced = await services.dispatch('settings.setApiKey', { apiKey: 'AIzaSyTYPED_IN_THE_UI_0123456789abcd' }, { transport: 'test' });
      expect(replaced).toMatchObject({ ok: true, value: { apiKeySet: true, apiKeyStorage: 'memory' } });
      const cleared = await services.dispatch('settings.setApiKey', { apiKey: null }, { transport: 'test' });
      expect(cleared).toMatchObject({ ok: true, value: { apiKeySet: false } });
      expect(await services.dispatch('app.info', {}, { transport: 'test' })).toMatchObject({ ok: true, value: { modelProvider: 'offline' } });
      const tooShort = await services.dispatch('settings.setApiKey', { apiKey: 'abc' }, { transport: 'test' });
      expect(tooShort).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(services.settings.apiKey()).toBeNull();
    } finally {
      await services.close();
    }
  });
});
