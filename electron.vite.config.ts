import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY_META } from './src/shared/security';

/** The page's CSP meta tag comes from the same constant the bridge and the Electron session use. */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'mm-content-security-policy',
    transformIndexHtml: (html) => html.replace('__CONTENT_SECURITY_POLICY__', CONTENT_SECURITY_POLICY_META),
  };
}

/** `@shared/...` is src/shared, for main, preload and renderer alike (tsconfig.base.json says the same). */
const resolveShared = { alias: { '@shared': resolve('src/shared') } };

/** The renderer's build, shared with `vite.renderer.config.ts` (the bridge's dev loop). */
export const rendererConfig = {
  root: resolve('src/renderer'),
  resolve: resolveShared,
  build: {
    rolldownOptions: { input: { index: resolve('src/renderer/index.html') } },
  },
  plugins: [react(), contentSecurityPolicy()],
};

export default defineConfig({
  main: {
    resolve: resolveShared,
    build: {
      rolldownOptions: {
        input: {
          // The Electron shell, and the same services behind the web bridge without Electron.
          index: resolve('src/main/index.ts'),
          bridge: resolve('src/main/bridge-main.ts'),
        },
      },
    },
  },
  preload: {
    resolve: resolveShared,
    build: {
      // Sandboxed preloads must be a single CommonJS file that requires nothing but electron.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
});
