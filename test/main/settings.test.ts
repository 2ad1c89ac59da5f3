import { describe, expect, it } from 'vitest';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

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
