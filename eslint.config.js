import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

// ---------------------------------------------------------------------------------------------
// Layers (see ARCHITECTURE.md). Each restriction is a `no-restricted-imports` pattern matched
// against the import specifier as written, with a message saying why. A relative specifier is
// matched by the folder it climbs into (`../agent`, `../../main/agent`, `../../../src/main/agent`),
// which is how TypeScript and editors spell imports here; the folder names are distinct enough
// for that. The rule sees static `import`/`export … from` (type-only ones included), not dynamic
// `import()`: keep dynamic imports inside their own folder or to npm packages.
// ---------------------------------------------------------------------------------------------

/** Relative specifiers (any number of `../`, optionally through src/ and main/) landing in src/main/<folder>. */
const intoMain = (folder) => `^(\\./)?(\\.\\./)+((src/)?main/)?${folder}(/|$)`;
/** Relative specifiers landing in src/<folder>. */
const intoSrc = (folder) => `^(\\./)?(\\.\\./)+(src/)?${folder}(/|$)`;

const noElectron = {
  regex: '^electron(/|$)',
  message: 'Core services run without Electron too (web bridge, tests, benchmarks): only src/main/shell/** and src/main/index.ts import electron.',
};
const mainNoRenderer = {
  regex: intoSrc('(renderer|preload)'),
  message:
    'src/main never imports the renderer or the preload: they are separate bundles and talk to main only through the IPC contract in src/shared.',
};
const mainNoHub = {
  regex: intoSrc('hub'),
  message:
    'src/main never imports the hub (src/hub): a desk talks to it only over HTTP with the protocol in src/shared/sync.ts, and its server packages stay out of the desktop app.',
};
const hubStandsAlone = [
  {
    regex: intoSrc('(main|renderer|preload)'),
    message: 'The hub (src/hub) is a server of its own: it imports only its own files, src/shared (@shared/*), node:* and npm packages.',
  },
  { regex: '^electron(/|$)', message: 'The hub (src/hub) runs on plain Node on a server: no Electron.' },
];
const memoryNoAgent = {
  regex: intoMain('agent'),
  message:
    'Memory sits below the agent: the agent reaches memory through its ports (src/main/agent/ports.ts), never the other way round. Wire them in src/main/app/services.ts.',
};
const memoryNoSync = {
  regex: intoMain('sync'),
  message:
    'Memory sits below sync: it tells sync about shared changes through its own ChangeFeed interface (src/main/memory/changeFeed.ts), which the composition root hands it; it never imports src/main/sync.',
};
const syncOnlyBelow = [
  {
    regex: intoMain('(agent|commerce|images|bridge|shell)'),
    message:
      'Sync (src/main/sync) sits beside the agent and the store: it imports src/shared, the kernel, storage, memory (its index and changeFeed) and settings/secretStore; the root wires the rest.',
  },
  {
    regex: '^(\\./)?(\\.\\./)+((src/)?main/)?memory/(?!changeFeed$)',
    message: 'Sync reaches memory only through what memory exports (src/main/memory/index.ts: the Replica, the ChangeFeed types), never its parts.',
  },
  {
    regex: '^(\\./)?(\\.\\./)+((src/)?main/)?settings/(?!secretStore$)',
    message: 'Sync uses only the secret store of settings (for the device token); settings reach it through the composition root.',
  },
];
const commerceNoMemoryOrAgent = {
  regex: intoMain('(memory|agent)'),
  message: 'Commerce (store client, demo store) is a leaf service: it knows nothing of memory or the agent. Wire them in src/main/app/services.ts.',
};
const imagesLeaf = {
  regex: intoMain('(memory|agent|commerce|storage|settings|bridge|shell)'),
  message:
    'The image cache (src/main/images) is a leaf service: the composition root hands it the store fetcher; it imports only the kernel, src/shared, node:* and npm packages.',
};
const kernelOnlyShared = [
  {
    regex: '^(\\./)?\\.\\./(?!\\.\\./)',
    message:
      'The kernel (src/main/core: event bus, dispatch, lifecycle, clock, logger, emitter) imports nothing from other src/main folders: every service imports it, so it must not import them.',
  },
  {
    regex: '^(\\./)?(\\.\\./){2}(?!shared(/|$))',
    message: 'The kernel (src/main/core) may import only its own files, src/shared and npm packages.',
  },
  {
    regex: '^(\\./)?(\\.\\./){3,}',
    message: 'The kernel (src/main/core) may import only its own files, src/shared and npm packages.',
  },
];
const noCompositionRoot = {
  regex: intoMain('app'),
  message:
    'The composition root (src/main/app) is the top of main: only the entry points (shell, bridge) import it; the services it wires never reach up to it.',
};
const sharedImportsNothingOfTheApp = [
  {
    regex: intoSrc('(main|renderer|preload)'),
    message: 'src/shared is the contract both sides compile against: it imports nothing from src/main, src/renderer or src/preload.',
  },
  { regex: '^electron(/|$)', message: 'src/shared is also bundled into the renderer and the web bridge page, where there is no Electron.' },
  { regex: '^node:', message: 'src/shared is also bundled into the renderer, which has no Node.' },
];
const rendererOnlyShared = [
  {
    // Two `../` at least: a renderer file sits two or more folders below src/, and a single `../main`
    // from a subfolder of src/renderer/src is the entry main.tsx, not src/main.
    regex: '^(\\./)?(\\.\\./){2,}(src/)?(main|preload)(/|$)',
    message:
      "The renderer calls main only through window.api (the preload's or the web bridge's) and imports only src/shared, its own files and npm packages.",
  },
  {
    regex: '^electron(/|$)',
    message: 'The renderer is sandboxed (and also runs in a plain browser through the web bridge): it calls only window.api.',
  },
  { regex: '^node:', message: 'The renderer has no Node: it calls only window.api.' },
];
const preloadOnlyElectronAndShared = [
  {
    regex: '^(?!electron(/|$))(?!@shared/)[^.]',
    message: 'The sandboxed preload is one CommonJS file that requires nothing but electron: it imports only electron and src/shared.',
  },
  {
    // Climbing out of src/preload anywhere but into src/shared (written for files directly in src/preload).
    regex: '^(\\./)?(\\.\\./)+(?!\\.\\./)(?!shared(/|$))',
    message: 'The preload imports only electron and src/shared (it exposes exactly the contract as window.api).',
  },
];

/**
 * One block per layer. Flat config gives a file the options of the LAST block that matches it, so
 * the blocks go from general to specific and each lists every restriction of its layer.
 */
const layer = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });

const shell = ['src/main/shell/**/*.ts', 'src/main/index.ts'];
const kernel = ['src/main/core/**/*.ts'];
const entryPoints = ['src/main/app/**/*.ts', 'src/main/bridge/**/*.ts', 'src/main/bridge-main.ts'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  // Type-aware rules: a promise nobody awaits or catches, a promise where a callback must return
  // nothing (an event handler), and a switch over a union that forgets a case, are bugs.
  {
    files: ['src/**/*.{ts,tsx}', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  // The rules of hooks (the React Compiler's extra rules do not apply: the app does not use it).
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  // Core services: everything in src/main but the entry points and the Electron shell (next blocks).
  layer(['src/main/**/*.ts'], [noElectron, mainNoRenderer, mainNoHub, noCompositionRoot]),
  // The composition root and the bridge entry wire everything together, still without Electron.
  layer(entryPoints, [noElectron, mainNoRenderer, mainNoHub]),
  // The Electron shell may import electron, still not the renderer or the preload.
  layer(shell, [mainNoRenderer, mainNoHub]),
  layer(['src/main/memory/**/*.ts'], [noElectron, mainNoRenderer, mainNoHub, noCompositionRoot, memoryNoAgent, memoryNoSync]),
  layer(['src/main/sync/**/*.ts'], [noElectron, mainNoRenderer, mainNoHub, noCompositionRoot, ...syncOnlyBelow]),
  layer(['src/main/commerce/**/*.ts'], [noElectron, mainNoRenderer, mainNoHub, noCompositionRoot, commerceNoMemoryOrAgent]),
  layer(['src/main/images/**/*.ts'], [noElectron, mainNoRenderer, mainNoHub, noCompositionRoot, imagesLeaf]),
  layer(kernel, [noElectron, ...kernelOnlyShared]),
  layer(['src/shared/**/*.ts'], sharedImportsNothingOfTheApp),
  layer(['src/renderer/**/*.{ts,tsx}'], rendererOnlyShared),
  layer(['src/preload/**/*.ts'], preloadOnlyElectronAndShared),
  layer(['src/hub/**/*.ts'], hubStandsAlone),
);
