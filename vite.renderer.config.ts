/** The renderer's build on its own, for `npm run dev` through the web bridge (`vite build --watch`). */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { rendererConfig } from './electron.vite.config';

export default defineConfig({
  ...rendererConfig,
  build: { ...rendererConfig.build, outDir: resolve('out/renderer'), emptyOutDir: true },
});
