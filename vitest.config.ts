import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/** `@shared/...` is src/shared, as in tsconfig.base.json and electron.vite.config.ts. */
const alias = { '@shared': resolve(import.meta.dirname, 'src/shared') };

// One project per kind of suite. better-sqlite3 suites run in forks: worker threads crashed on exit.
export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.ts'],
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The page answers in milliseconds alone but can take seconds while the node suites load
          // both cores: a condition is polled for up to 10 s (it passes as soon as it holds).
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
