import { afterEach, describe, expect, it } from 'vitest';
import { channelNames, contract } from '../../src/shared/contract';
import type { Services } from '../../src/main/core/services';
import { snapshotDatabase } from '../helpers/dbSnapshot';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

let services: Services | null = null;
afterEach(async () => {
  await services?.close();
  services = null;
});

const malformedRequests: unknown[] = [42, 'text', [], { unexpected_field_that_no_schema_has: true }];

describe('IPC contract', () => {
  it('declares a strict zod schema for every channel', () => {
    expect(channelNames.length).toBeGreaterThanOrEqual(4);
    for (const name of channelNames) {
      const parsed = contract[name].request.safeParse({ unexpected_field_that_no_schema_has: true });
      expect(parsed.success, `${name} accepted an unknown field`).toBe(false);
    }
  });

  it('refuses a malformed request on every channel with invalid_request and changes nothing', async () => {
    services = await startServices(tempDir());
    const before = snapshotDatabase(services.db!);
    for (const name of channelNames) {
      for (const request of malformedRequests) {
        const result = await services.dispatch(name, request, { transport: 'test' });
        expect(result.ok, `${name} accepted ${JSON.stringify(request)}`).toBe(false);
        if (!result.ok) expect(result.error.code).toBe('invalid_request');
      }
    }
    expect(snapshotDatabase(services.db!)).toBe(before);
  });

  it('names the offending field of a refused settings change and keeps the old value', async () => {
    services = await startServices(tempDir());
    const result = await services.dispatch('settings.set', { storeEndpoint: 'not a url', language: 'fr' }, { transport: 'test' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('invalid_request');
    const paths = (result.error.details as { path: string[] }[]).map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['storeEndpoint', 'language']));
    const current = await services.dispatch('settings.get', {}, { transport: 'test' });
    expect(current).toMatchObject({ ok: true, value: { language: 'vi', storeEndpoint: 'https://online.mmvietnam.com/graphql' } });
  });

  it('refuses unknown channels, including prototype names', async () => {
    services = await startServices(tempDir());
    for (const name of ['settings.drop', '__proto__', 'constructor', 'toString', '', 42]) {
      const result = await services.dispatch(name, {}, { transport: 'test' });
      expect(result).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    }
  });

  it('never returns the API key, only whether one is set', async () => {
    services = await startServices(tempDir());
    const key = 'AIzaSyTESTKEY_abcdefghijklmnopqrstu';
    const saved = await services.dispatch('settings.setApiKey', { apiKey: key }, { transport: 'test' });
    expect(saved).toMatchObject({ ok: true, value: { apiKeySet: true } });
    for (const name of ['settings.get', 'app.info'] as const) {
      const result = await services.dispatch(name, {}, { transport: 'test' });
      expect(JSON.stringify(result)).not.toContain(key);
    }
    const info = await services.dispatch('app.info', {}, { transport: 'test' });
    expect(info).toMatchObject({ ok: true, value: { modelProvider: 'gemini' } });
  });
});
