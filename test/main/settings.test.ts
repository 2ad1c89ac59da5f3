import { describe, expect, it } from 'vitest';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { ProcessSecretStore } from '../../src/main/settings/secretStore';

const MB = 1024 * 1024;
const DAY = 24 * 60 * 60 * 1000;

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

  it('keeps quotas saved by an older version and gives a quota added since its default', async () => {
    const dir = tempDir();
    const first = await startServices(dir);
    // What a version without the summarize setting stored: its five quotas, one of them changed by staff.
    const older = { hotSessionBytes: 50 * MB, warmUserBytes: 300 * MB, coldUserBytes: 500 * MB, warmTtlDays: 7, coldRetentionDays: 30 };
    first.db!.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('quotas', ?, 0)").run(JSON.stringify(older));
    await first.close();

    const second = await startServices(dir);
    const result = await second.dispatch('settings.get', {}, { transport: 'test' });
    expect(result).toMatchObject({ ok: true, value: { quotas: { ...older, summarizeAfterDays: 7 } } });
    await second.close();
  });

  it('summarizes conversations after the number of quiet days set in Settings', async () => {
    const services = await startServices(tempDir());
    try {
      const call = { transport: 'test' } as const;
      const memory = services.memory!;
      memory.sessions.createSession({ userId: 'kh-1', sessionId: 's1' });
      const fourDaysAgo = Date.now() - 4 * DAY;
      memory.sessions.appendEvent({
        userId: 'kh-1',
        sessionId: 's1',
        event: { author: 'user', kind: 'message', content: { text: 'Cho 2 thùng nước suối.' }, timestamp: fourDaysAgo },
      });
      memory.sessions.closeSession({ userId: 'kh-1', sessionId: 's1' });
      // Quiet for 4 days: too recent for the default 7.
      expect(await services.dispatch('memory.runMaintenance', { task: 'summarize' }, call)).toMatchObject({
        ok: true,
        value: { summarized: 0, recent: 1 },
      });
      expect(await services.dispatch('settings.set', { quotas: { summarizeAfterDays: 3 } }, call)).toMatchObject({ ok: true });
      expect(await services.dispatch('memory.stats', {}, call)).toMatchObject({ ok: true, value: { limits: { summarizeAfterDays: 3 } } });
      expect(await services.dispatch('memory.runMaintenance', { task: 'summarize' }, call)).toMatchObject({ ok: true, value: { summarized: 1 } });
      // Out of bounds: refused, nothing changed.
      expect(await services.dispatch('settings.set', { quotas: { summarizeAfterDays: 0 } }, call)).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
    } finally {
      await services.close();
    }
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
