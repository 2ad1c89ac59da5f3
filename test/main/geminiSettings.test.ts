import { afterEach, describe, expect, it } from 'vitest';
import { createModelResolver } from '../../src/main/agent/modelResolver';
import type { ModelChunk, ModelClient } from '../../src/main/agent/model';
import { startGeminiStandin, type GeminiStandin } from '../helpers/geminiStandin';
import type { Services } from '../../src/main/app/services';
import { ProcessSecretStore } from '../../src/main/settings/secretStore';
import { defaultSettings, geminiModels } from '@shared/settings';
import { snapshotDatabase } from '../helpers/dbSnapshot';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

const test = { transport: 'test' } as const;
const API_KEY = 'AIzaSyGEMINI_SETTINGS_TEST_0123456789';

let services: Services | null = null;
const standins: GeminiStandin[] = [];
afterEach(async () => {
  await services?.close();
  services = null;
  for (const standin of standins.splice(0)) await standin.close();
});

async function settingsValue(target: Services): Promise<Record<string, unknown>> {
  const result = await target.dispatch('settings.get', {}, test);
  if (!result.ok) throw new Error(result.error.message);
  return result.value as Record<string, unknown>;
}

/** Sets one field; returns the refused paths (empty when saved). */
async function trySet(target: Services, patch: Record<string, unknown>): Promise<string[]> {
  const result = await target.dispatch('settings.set', patch, test);
  if (result.ok) return [];
  expect(result.error.code).toBe('invalid_request');
  return (result.error.details as { path: string[] }[]).map((issue) => issue.path.join('.'));
}

describe('Gemini settings', () => {
  it('default to a current model, Google’s endpoint, a 16,000-token budget and 30 s / 20 s waits', async () => {
    services = await startServices(tempDir());
    expect(defaultSettings.model).toBe('gemini-3.6-flash');
    expect(geminiModels).toContain(defaultSettings.model);
    expect(await settingsValue(services)).toMatchObject({
      model: 'gemini-3.6-flash',
      modelEndpoint: '',
      contextTokenBudget: 16_000,
      firstChunkTimeoutSeconds: 30,
      stallTimeoutSeconds: 20,
    });
  });

  it('accepts every listed model and other gemini- ids, and refuses anything else without changing a thing', async () => {
    services = await startServices(tempDir());
    for (const model of [...geminiModels, 'gemini-4.0-flash-exp-0917', `gemini-${'a'.repeat(63)}`]) {
      expect(await trySet(services, { model }), model).toEqual([]);
      expect((await settingsValue(services)).model).toBe(model);
    }
    expect(await trySet(services, { model: 'gemini-2.5-pro' })).toEqual([]);
    const before = snapshotDatabase(services.db!);
    for (const model of [
      '',
      'gpt-4o',
      'Gemini-3.6-flash',
      'gemini-',
      'gemini--flash',
      'gemini-3.6 flash',
      'models/gemini-2.5-flash',
      'gemini-3.6-flash; drop',
      `gemini-${'a'.repeat(64)}`,
    ]) {
      expect(await trySet(services, { model, language: 'en' }), model).toEqual(['model']);
    }
    expect(snapshotDatabase(services.db!)).toBe(before);
    expect(await settingsValue(services)).toMatchObject({ model: 'gemini-2.5-pro', language: 'vi' });
  });

  it('takes an https gateway or a loopback http one, and refuses other addresses', async () => {
    services = await startServices(tempDir());
    for (const modelEndpoint of [
      'https://gemini-gw.mmvietnam.local/v1',
      'http://127.0.0.1:8080',
      'http://localhost:9000/gateway',
      'http://[::1]:8080',
      'HTTPS://GW.EXAMPLE.COM',
      '',
    ]) {
      expect(await trySet(services, { modelEndpoint }), modelEndpoint).toEqual([]);
    }
    expect(await trySet(services, { modelEndpoint: 'https://gw.example.com/gemini' })).toEqual([]);
    const before = snapshotDatabase(services.db!);
    for (const modelEndpoint of [
      'http://gemini-gw.mmvietnam.com',
      'http://10.0.0.5:8080',
      'http://127.0.0.2:8080',
      'http://127.0.0.1.example.com',
      'http://localhost.example.com',
      'https://user:secret@gw.example.com',
      'ftp://gw.example.com',
      'javascript:alert(1)',
      'gw.example.com',
      'not a url',
    ]) {
      expect(await trySet(services, { modelEndpoint }), modelEndpoint).toEqual(['modelEndpoint']);
    }
    expect(snapshotDatabase(services.db!)).toBe(before);
    expect((await settingsValue(services)).modelEndpoint).toBe('https://gw.example.com/gemini');
  });

  it('bounds the token budget and the timeouts to whole numbers in range', async () => {
    services = await startServices(tempDir());
    const cases: [string, number, number][] = [
      ['contextTokenBudget', 2000, 1_000_000],
      ['firstChunkTimeoutSeconds', 5, 300],
      ['stallTimeoutSeconds', 5, 300],
    ];
    for (const [key, min, max] of cases) {
      expect(await trySet(services, { [key]: min })).toEqual([]);
      expect(await trySet(services, { [key]: max })).toEqual([]);
      const before = snapshotDatabase(services.db!);
      for (const value of [min - 1, max + 1, min + 0.5, String(min), null]) {
        expect(await trySet(services, { [key]: value }), `${key}=${String(value)}`).toEqual([key]);
      }
      expect(snapshotDatabase(services.db!)).toBe(before);
      expect((await settingsValue(services))[key]).toBe(max);
    }
  });

  it('keeps a saved other model across a restart and falls back per key when a stored value no longer validates', async () => {
    const dir = tempDir();
    const first = await startServices(dir);
    expect(await trySet(first, { model: 'gemini-4.0-flash', contextTokenBudget: 48_000 })).toEqual([]);
    await first.close();

    services = await startServices(dir);
    expect(await settingsValue(services)).toMatchObject({ model: 'gemini-4.0-flash', contextTokenBudget: 48_000 });
    // As an older version or a hand edit could have left them.
    const write = services.db!.prepare('UPDATE settings SET value = ? WHERE key = ?');
    write.run(JSON.stringify('models/gemini-1.5-pro'), 'model');
    const insert = services.db!.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 0)');
    insert.run('modelEndpoint', JSON.stringify('http://gw.example.com'));
    insert.run('stallTimeoutSeconds', JSON.stringify(2));
    insert.run('firstChunkTimeoutSeconds', JSON.stringify(90));
    await services.close();

    services = await startServices(dir);
    expect(await settingsValue(services)).toMatchObject({
      model: defaultSettings.model,
      modelEndpoint: '',
      stallTimeoutSeconds: defaultSettings.stallTimeoutSeconds,
      firstChunkTimeoutSeconds: 90,
      contextTokenBudget: 48_000,
    });
  });
});

async function firstText(client: ModelClient, model: string): Promise<string> {
  let text = '';
  for await (const chunk of client.generate(
    { model, systemInstruction: 'test', contents: [{ role: 'user', parts: [{ text: 'xin chào' }] }], tools: [], language: 'vi' },
    new AbortController().signal,
  ) as AsyncIterable<ModelChunk>) {
    if (chunk.type === 'text') text += chunk.text;
  }
  return text;
}

describe('the model resolver', () => {
  it('applies a changed key, model, endpoint and timeouts at the next run, without a restart', async () => {
    const fromEnvironment = await startGeminiStandin({ apiKey: API_KEY });
    const gateway = await startGeminiStandin({ apiKey: API_KEY });
    standins.push(fromEnvironment, gateway);
    fromEnvironment.setFallback(() => ({ text: 'environment' }));
    gateway.setFallback(() => ({ text: 'gateway' }));
    services = await startServices(tempDir(), { createSecretStore: () => new ProcessSecretStore(undefined) });
    const settings = services.settings;
    const resolve = createModelResolver(
      settings,
      { GEMINI_BASE_URL: fromEnvironment.baseUrl },
      { attempts: 1, initialDelaySeconds: 0.01, maxDelaySeconds: 0.01 },
    );

    // No key: the offline planner, named after the chosen model.
    const offline = resolve();
    expect(offline.client.provider).toBe('offline');
    expect(offline.connection).toBeUndefined();

    expect((await services.dispatch('settings.setApiKey', { apiKey: API_KEY }, test)).ok).toBe(true);
    const first = resolve();
    expect(first.client.provider).toBe('gemini');
    expect(first).toMatchObject({
      name: 'gemini-3.6-flash',
      connection: { baseUrl: fromEnvironment.baseUrl, firstChunkTimeoutMs: 30_000, stallTimeoutMs: 20_000 },
    });
    expect(await firstText(first.client, first.name)).toBe('environment');
    expect(fromEnvironment.requests.map((request) => request.model)).toEqual(['gemini-3.6-flash']);
    expect(resolve().client).toBe(first.client); // nothing changed: the same client

    // Another model only: same client, new name.
    expect(await trySet(services, { model: 'gemini-2.5-pro' })).toEqual([]);
    const renamed = resolve();
    expect(renamed.client).toBe(first.client);
    expect(renamed.name).toBe('gemini-2.5-pro');

    // The endpoint setting wins over GEMINI_BASE_URL.
    expect(await trySet(services, { modelEndpoint: gateway.baseUrl })).toEqual([]);
    const viaGateway = resolve();
    expect(viaGateway.client).not.toBe(first.client);
    expect(viaGateway.connection).toMatchObject({ baseUrl: gateway.baseUrl });
    expect(await firstText(viaGateway.client, viaGateway.name)).toBe('gateway');
    expect(gateway.requests.map((request) => request.model)).toEqual(['gemini-2.5-pro']);
    expect(fromEnvironment.requests).toHaveLength(1);

    // New timeouts: a new client built with them.
    expect(await trySet(services, { firstChunkTimeoutSeconds: 45, stallTimeoutSeconds: 10 })).toEqual([]);
    const retimed = resolve();
    expect(retimed.client).not.toBe(viaGateway.client);
    expect(retimed.connection).toEqual({ baseUrl: gateway.baseUrl, firstChunkTimeoutMs: 45_000, stallTimeoutMs: 10_000 });

    // Emptied endpoint: back to GEMINI_BASE_URL.
    expect(await trySet(services, { modelEndpoint: '' })).toEqual([]);
    const back = resolve();
    expect(back.connection).toEqual({ baseUrl: fromEnvironment.baseUrl, firstChunkTimeoutMs: 45_000, stallTimeoutMs: 10_000 });
    expect(await firstText(back.client, back.name)).toBe('environment');

    // Cleared key: the offline planner again.
    expect((await services.dispatch('settings.setApiKey', { apiKey: null }, test)).ok).toBe(true);
    expect(resolve().client.provider).toBe('offline');
  });

  it('uses Google’s endpoint when neither the setting nor GEMINI_BASE_URL names one', async () => {
    services = await startServices(tempDir(), { createSecretStore: () => new ProcessSecretStore(API_KEY) });
    const resolved = createModelResolver(services.settings, {})();
    expect(resolved.client.provider).toBe('gemini');
    expect(resolved.connection).toEqual({ baseUrl: null, firstChunkTimeoutMs: 30_000, stallTimeoutMs: 20_000 });
  });
});
