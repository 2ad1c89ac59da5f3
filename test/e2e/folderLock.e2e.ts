import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tempDir';
import { startBridgeProcess, type BridgeProcess } from './harness';

// Two real processes of the built app (the web bridge, as `npm start` runs it without Electron).
describe('one app per data folder, across processes', () => {
  let first: BridgeProcess | null = null;
  afterEach(async () => {
    await first?.stop();
    first = null;
  });

  it('a second app on the same folder refuses to start, naming the folder; another folder is fine', async () => {
    const dir = tempDir('mm-e2e-lock-');
    first = await startBridgeProcess(dir, ['--demo']);
    const refused = await startBridgeProcess(dir, ['--demo']).catch((error: unknown) => error);
    expect(String(refused)).toMatch(/bridge exited \(1\) before it was ready/);
    expect(String(refused)).toContain(`is already using the data folder ${dir}`);
    const elsewhere = await startBridgeProcess(tempDir('mm-e2e-lock-'), ['--demo']);
    expect(await elsewhere.stop()).toBe(0);
  });
});
