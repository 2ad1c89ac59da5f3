import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const benchDir = path.join(repoRoot, 'bench');

/**
 * `npm run bench` runs outside vitest: a benchmark that imports a test helper calling vitest's
 * hooks when it loads (`afterEach` in tempDir.ts, say) dies before it measures anything. Each
 * benchmark module is loaded here as `npm run bench` loads it (tsx, no test runner), not run.
 */
describe('benchmarks', () => {
  const names = fs
    .readdirSync(benchDir)
    .filter((file) => file.endsWith('.ts') && !file.startsWith('_') && !['run.ts', 'rawImports.ts'].includes(file));

  it('are found', () => {
    expect(names).toEqual(expect.arrayContaining(['memory.ts', 'search.ts', 'sync.ts', 'ui.ts']));
  });

  it('load outside the test runner', async () => {
    const script = `await import('./bench/rawImports.ts'); for (const name of ${JSON.stringify(names)}) await import('./bench/' + name);`;
    const { stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      timeout: 50_000,
    });
    expect(stderr).not.toMatch(/Error/);
  });
});
