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
});
