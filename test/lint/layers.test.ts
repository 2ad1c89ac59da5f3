import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The layer rules in eslint.config.js (no-restricted-imports per folder), checked through ESLint's
// Node API: each rule must reject a deliberate violation with its message, and each allowed import
// must pass in a file where the rule is switched on. The code is linted as if it lived at filePath;
// nothing is written to disk.

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const RULE = 'no-restricted-imports';

let eslint: ESLint;

beforeAll(() => {
  // The cases are made-up files that no tsconfig lists, so the type-aware rules (which need a
  // program) are switched off here; the layer rules are syntactic and unaffected.
  eslint = new ESLint({
    cwd: repoRoot,
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: false } },
      rules: {
        '@typescript-eslint/no-floating-promises': 'off',
        '@typescript-eslint/no-misused-promises': 'off',
        '@typescript-eslint/switch-exhaustiveness-check': 'off',
      },
    },
  });
});

async function lint(file: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  if (!result) throw new Error(`no lint result for ${file}`);
  // A null ruleId is a parse error or an "ignored file" warning: either means the case proves nothing.
  expect(result.messages.filter((message) => message.ruleId === null)).toEqual([]);
  return result.messages.filter((message) => message.ruleId === RULE);
}

async function ruleIsOn(file: string): Promise<boolean> {
  const config = (await eslint.calculateConfigForFile(path.join(repoRoot, file))) as Linter.Config | undefined;
  const entry = config?.rules?.[RULE];
  const severity = Array.isArray(entry) ? entry[0] : entry;
  return severity === 2 || severity === 'error';
}

/** [file the code pretends to be, import line, a fragment of the expected message] */
type Violation = [file: string, code: string, why: string];
/** [file the code pretends to be, import line] */
type Allowed = [file: string, code: string];

const NO_ELECTRON = 'Core services run without Electron';
const MAIN_NO_UI = 'src/main never imports the renderer or the preload';
const MEMORY_NO_AGENT = 'Memory sits below the agent';
const COMMERCE_LEAF = 'Commerce (store client, demo store) is a leaf service';
const MEMORY_NO_SYNC = 'Memory sits below sync';
const SYNC_BESIDE = 'Sync (src/main/sync) sits beside the agent and the store';
const SYNC_MEMORY = 'Sync reaches memory only through what memory exports';
const SYNC_SETTINGS = 'Sync uses only the secret store of settings';
const IMAGES_LEAF = 'The image cache (src/main/images) is a leaf service';
const KERNEL = 'The kernel (src/main/core';
const NO_APP = 'The composition root (src/main/app) is the top of main';
const SHARED = 'src/shared is the contract both sides compile against';
const RENDERER = 'The renderer calls main only through window.api';
const PRELOAD_PACKAGES = 'requires nothing but electron';
const PRELOAD_FILES = 'The preload imports only electron and src/shared';
const MAIN_NO_HUB = 'src/main never imports the hub (src/hub)';
const HUB = 'The hub (src/hub) is a server of its own';

const violations: Record<string, Violation[]> = {
  'core services never import electron': [
    ['src/main/memory/x.ts', "import { app } from 'electron';", NO_ELECTRON],
    ['src/main/agent/tools/x.ts', "import { app } from 'electron';", NO_ELECTRON],
    ['src/main/storage/x.ts', "import { safeStorage } from 'electron/main';", NO_ELECTRON],
    ['src/main/settings/x.ts', "import type { SafeStorage } from 'electron';", NO_ELECTRON],
    ['src/main/app/services.ts', "export { app } from 'electron';", NO_ELECTRON],
    ['src/main/bridge/x.ts', "import * as electron from 'electron';", NO_ELECTRON],
    ['src/main/bridge-main.ts', "import { app } from 'electron';", NO_ELECTRON],
    ['src/main/commerce/standin/x.ts', "import { net } from 'electron';", NO_ELECTRON],
  ],
  'src/main never imports the renderer (nor the preload)': [
    ['src/main/agent/x.ts', "import { useChat } from '../../renderer/src/store/chatStore';", MAIN_NO_UI],
    ['src/main/shell/x.ts', "import { formatVnd } from '../../renderer/src/format';", MAIN_NO_UI],
    ['src/main/index.ts', "import { formatVnd } from '../renderer/src/format';", MAIN_NO_UI],
    ['src/main/bridge-main.ts', "import { formatVnd } from '../renderer/src/format';", MAIN_NO_UI],
    ['src/main/bridge/x.ts', "import '../../preload/index';", MAIN_NO_UI],
  ],
  'src/shared imports nothing from main, renderer or preload': [
    ['src/shared/x.ts', "import { createDispatcher } from '../main/core/dispatch';", SHARED],
    ['src/shared/contract/x.ts', "import { formatVnd } from '../../renderer/src/format';", SHARED],
    ['src/shared/x.ts', "import '../preload/index';", SHARED],
    ['src/shared/x.ts', "import { app } from 'electron';", 'src/shared is also bundled into the renderer'],
    ['src/shared/x.ts', "import { readFile } from 'node:fs/promises';", 'src/shared is also bundled into the renderer'],
  ],
  'memory never imports the agent': [
    ['src/main/memory/x.ts', "import { Runner } from '../agent/runner';", MEMORY_NO_AGENT],
    ['src/main/memory/x.ts', "import { createAgentRuntime } from '../agent';", MEMORY_NO_AGENT],
    ['src/main/memory/x.ts', "import type { Tool } from '../agent/tool';", MEMORY_NO_AGENT],
    ['src/main/memory/x.ts', "export { memoryTools } from '../agent/tools/memoryTools';", MEMORY_NO_AGENT],
    ['src/main/memory/x.ts', "import { Runner } from '../../main/agent/runner';", MEMORY_NO_AGENT],
  ],
  'memory never imports sync': [
    ['src/main/memory/x.ts', "import { Outbox } from '../sync/outbox';", MEMORY_NO_SYNC],
    ['src/main/memory/entries/x.ts', "import type { SyncService } from '../../sync';", MEMORY_NO_SYNC],
    ['src/main/memory/x.ts', "export { createSync } from '../../main/sync';", MEMORY_NO_SYNC],
  ],
  'sync imports shared, the kernel, storage, memory through its exports and the secret store only': [
    ['src/main/sync/x.ts', "import { Runner } from '../agent/runner';", SYNC_BESIDE],
    ['src/main/sync/x.ts', "import { StoreConnection } from '../commerce/service';", SYNC_BESIDE],
    ['src/main/sync/x.ts', "import { ImageCache } from '../images';", SYNC_BESIDE],
    ['src/main/sync/x.ts', "import { startBridge } from '../bridge/server';", SYNC_BESIDE],
    ['src/main/sync/x.ts', "import { EntryStore } from '../memory/entries/entryStore';", SYNC_MEMORY],
    ['src/main/sync/x.ts', "import type { UsageLedger } from '../memory/usage/ledger';", SYNC_MEMORY],
    ['src/main/sync/x.ts', "import { Replica } from '../memory/replica';", SYNC_MEMORY],
    ['src/main/sync/x.ts', "import { SettingsService } from '../settings/settingsService';", SYNC_SETTINGS],
    ['src/main/sync/x.ts', "import type { Services } from '../app/services';", NO_APP],
    ['src/main/sync/x.ts', "import { safeStorage } from 'electron';", NO_ELECTRON],
  ],
  'commerce never imports memory or the agent': [
    ['src/main/commerce/x.ts', "import { MemoryStore } from '../memory/store';", COMMERCE_LEAF],
    ['src/main/commerce/x.ts', "import { createMemoryServices } from '../memory';", COMMERCE_LEAF],
    ['src/main/commerce/standin/x.ts', "import { MemoryStore } from '../../memory/store';", COMMERCE_LEAF],
    ['src/main/commerce/x.ts', "import type { Tool } from '../agent/tool';", COMMERCE_LEAF],
  ],
  'the image cache imports no other service, the shell or the bridge': [
    ['src/main/images/x.ts', "import { GraphQLTransport } from '../commerce/transport';", IMAGES_LEAF],
    ['src/main/images/x.ts', "import type { Db } from '../storage/database';", IMAGES_LEAF],
    ['src/main/images/x.ts', "import { SettingsService } from '../settings/settingsService';", IMAGES_LEAF],
    ['src/main/images/x.ts', "import { startBridge } from '../bridge/server';", IMAGES_LEAF],
    ['src/main/images/x.ts', "import { APP_PAGE_URL } from '../shell/protocol';", IMAGES_LEAF],
    ['src/main/images/x.ts', "import { app } from 'electron';", NO_ELECTRON],
    ['src/main/images/x.ts', "import type { Services } from '../app/services';", NO_APP],
    ['src/main/images/x.ts', "import { formatVnd } from '../../renderer/src/format';", MAIN_NO_UI],
  ],
  'the renderer imports only src/shared, its own files and npm packages': [
    ['src/renderer/src/store/x.ts', "import { createDispatcher } from '../../../main/core/dispatch';", RENDERER],
    ['src/renderer/src/x.ts', "import { Runner } from '../../main/agent/runner';", RENDERER],
    ['src/renderer/src/components/x.tsx', "import '../../../preload/index';", RENDERER],
    ['src/renderer/src/components/memory/x.tsx', "import { unwrap } from '../../../../main/core/dispatch';", RENDERER],
    ['src/renderer/src/store/x.ts', "import type { Services } from '../../../main/app/services';", RENDERER],
    ['src/renderer/src/store/x.ts', "import { ipcRenderer } from 'electron';", 'The renderer is sandboxed'],
    ['src/renderer/src/store/x.ts', "import { readFile } from 'node:fs';", 'The renderer has no Node'],
  ],
  'the preload imports only electron and src/shared': [
    ['src/preload/index.ts', "import { z } from 'zod';", PRELOAD_PACKAGES],
    ['src/preload/index.ts', "import { readFileSync } from 'node:fs';", PRELOAD_PACKAGES],
    ['src/preload/index.ts', "import { createDispatcher } from '../main/core/dispatch';", PRELOAD_FILES],
    ['src/preload/index.ts', "import { formatVnd } from '../renderer/src/format';", PRELOAD_FILES],
    ['src/preload/index.ts', "import pkg from '../../package.json';", PRELOAD_FILES],
  ],
  'the kernel imports nothing from other src/main folders': [
    ['src/main/core/clock.ts', "import { openDatabase } from '../storage/database';", KERNEL],
    ['src/main/core/eventBus.ts', "import { createAgentRuntime } from '../agent';", KERNEL],
    ['src/main/core/dispatch.ts', "import type { Tool } from '../agent/tool';", KERNEL],
    ['src/main/core/dispatch.ts', "import { formatVnd } from '../../renderer/src/format';", KERNEL],
    ['src/main/core/clock.ts', "import { app } from 'electron';", NO_ELECTRON],
    ['src/main/core/eventBus.ts', "import { createServices } from '../app/services';", KERNEL],
    ['src/main/core/logger.ts', "import type { AppConfig } from '../app/config';", KERNEL],
  ],
  'src/main never imports the hub': [
    ['src/main/sync/x.ts', "import { startHub } from '../../hub';", MAIN_NO_HUB],
    ['src/main/app/services.ts', "import type { Hub } from '../../hub/index';", MAIN_NO_HUB],
    ['src/main/memory/x.ts', "import { applyBatch } from '../../hub/push';", MAIN_NO_HUB],
    ['src/main/shell/x.ts', "export { startHub } from '../../../src/hub';", MAIN_NO_HUB],
    ['src/main/bridge-main.ts', "import { startHub } from '../hub';", MAIN_NO_HUB],
  ],
  'the hub imports nothing of the desktop app': [
    ['src/hub/x.ts', "import { createServices } from '../main/app/services';", HUB],
    ['src/hub/x.ts', "import type { Logger } from '../main/core/logger';", HUB],
    ['src/hub/x.ts', "import { formatVnd } from '../renderer/src/format';", HUB],
    ['src/hub/x.ts', "import '../preload/index';", HUB],
    ['src/hub/x.ts', "import { app } from 'electron';", 'The hub (src/hub) runs on plain Node'],
  ],
  'services never reach up to the composition root': [
    ['src/main/memory/x.ts', "import type { Services } from '../app/services';", NO_APP],
    ['src/main/agent/tools/x.ts', "import { DB_FILE_NAME } from '../../app/config';", NO_APP],
    ['src/main/settings/x.ts', "import type { AppConfig } from '../app/config';", NO_APP],
    ['src/main/commerce/demo/x.ts', "import { createServices } from '../../app/services';", NO_APP],
  ],
};

const allowed: Record<string, Allowed[]> = {
  'the Electron shell imports electron': [
    ['src/main/shell/x.ts', "import { app } from 'electron';"],
    ['src/main/index.ts', "import { app } from 'electron';"],
    ['src/main/shell/x.ts', "import { createDispatcher } from '../core/dispatch';"],
  ],
  'core services import shared, storage, the kernel and npm packages': [
    ['src/main/agent/x.ts', "import { AppError } from '../../shared/errors';"],
    ['src/main/agent/x.ts', "import { createMemoryServices } from '../memory';"],
    ['src/main/agent/tools/x.ts', "import type { MemoryPort } from '../ports';"],
    ['src/main/agent/x.ts', "import { GoogleGenAI } from '@google/genai';"],
    ['src/main/app/services.ts', "import { createAgentRuntime } from '../agent';"],
    ['src/main/bridge/x.ts', "import { createServer } from 'node:http';"],
    ['src/main/bridge/runBridge.ts', "import { createServices } from '../app/services';"],
    ['src/main/shell/desktopApp.ts', "import { createServices } from '../app/services';"],
  ],
  'memory imports the kernel, storage and shared': [
    ['src/main/memory/x.ts', "import { Emitter } from '../core/emitter';"],
    ['src/main/memory/x.ts', "import type { Database } from '../storage/database';"],
    ['src/main/memory/x.ts', "import { MemoryStore } from './store';"],
    ['src/main/memory/x.ts', "import { foldAccents } from '../../shared/text';"],
  ],
  'sync imports the kernel, storage, memory (index, changeFeed), the secret store and shared; the root imports it': [
    ['src/main/sync/x.ts', "import { Emitter } from '../core/emitter';"],
    ['src/main/sync/x.ts', "import type { Db } from '../storage/database';"],
    ['src/main/sync/x.ts', "import type { Replica } from '../memory';"],
    ['src/main/sync/x.ts', "import type { ChangeFeed } from '../memory/changeFeed';"],
    ['src/main/sync/x.ts', "import type { SecretStore } from '../settings/secretStore';"],
    ['src/main/sync/x.ts', "import { HybridClock } from './hlc';"],
    ['src/main/sync/x.ts', "import { syncOpSchema } from '@shared/sync';"],
    ['src/main/sync/x.ts', "import { request } from 'undici';"],
    ['src/main/app/services.ts', "import { createSync } from '../sync';"],
    ['src/main/memory/x.ts', "import type { ChangeFeed } from './changeFeed';"],
  ],
  'commerce imports the kernel, storage, its own files and shared': [
    ['src/main/commerce/x.ts', "import { SystemClock } from '../core/clock';"],
    ['src/main/commerce/x.ts', "import { DemoStore } from './demo/server';"],
    ['src/main/commerce/demo/x.ts', "import { foldText } from '../text';"],
    ['src/main/commerce/x.ts', "import { request } from 'undici';"],
  ],
  'the image cache imports the kernel, shared, node and npm packages; the entry points import it': [
    ['src/main/images/x.ts', "import { systemClock } from '../core/clock';"],
    ['src/main/images/x.ts', "import { isLoopbackHost } from '@shared/settings';"],
    ['src/main/images/x.ts', "import fs from 'node:fs';"],
    ['src/main/images/x.ts', "import { ImageCache } from './imageCache';"],
    ['src/main/app/services.ts', "import { ImageCache } from '../images';"],
    ['src/main/bridge/server.ts', "import type { ImageAnswer } from '../images';"],
    ['src/main/shell/protocol.ts', "import { imageResponseHeaders } from '../images';"],
  ],
  'shared imports shared and npm packages': [
    ['src/shared/contract/x.ts', "import { AppError } from '../errors';"],
    ['src/shared/x.ts', "import { z } from 'zod';"],
  ],
  'the renderer imports shared, its own files and npm packages': [
    ['src/renderer/src/store/x.ts', "import type { Channel } from '../../../shared/contract';"],
    ['src/renderer/src/x.ts', "import { SettingsSchema } from '../../shared/settings';"],
    ['src/renderer/src/components/x.tsx', "import { api } from '../api/client';"],
    ['src/renderer/src/components/x.tsx', "import { useState } from 'react';"],
    ['src/renderer/src/components/memory/x.tsx', "import { call } from '../../api/client';"],
    ['src/renderer/src/components/memory/x.tsx', "import type { MemoryScope } from '../../../../shared/contract/memory';"],
    ['src/renderer/src/store/x.ts', "import { create } from 'zustand';"],
  ],
  'the preload imports electron and shared': [
    ['src/preload/index.ts', "import { contextBridge, ipcRenderer } from 'electron';"],
    ['src/preload/index.ts', "import type { WindowApi } from '../shared/contract';"],
    ['src/preload/index.ts', "import { isChannelName } from '../shared/contract/names';"],
    ['src/preload/index.ts', "import { isChannelName } from '@shared/contract/names';"],
  ],
  'the hub imports its own files, shared, node:* and npm packages': [
    ['src/hub/x.ts', "import { pushRequestSchema } from '@shared/sync';"],
    ['src/hub/x.ts', "import { HubError } from './errors';"],
    ['src/hub/x.ts', "import Fastify from 'fastify';"],
    ['src/hub/x.ts', "import pg from 'pg';"],
    ['src/hub/x.ts', "import crypto from 'node:crypto';"],
    ['src/main/sync/x.ts', "import type { PushRequest } from '@shared/sync';"],
  ],
  'the kernel imports shared, npm packages and the leaf files of core/': [
    ['src/main/core/dispatch.ts', "import { AppError } from '../../shared/errors';"],
    ['src/main/core/dispatch.ts', "import { z } from 'zod';"],
    ['src/main/core/dispatch.ts', "import { AppError } from '@shared/errors';"],
    ['src/main/core/eventBus.ts', "import { SystemClock } from './clock';"],
    ['src/main/core/dispatch.ts', "import type { Lifecycle } from './lifecycle';"],
    ['src/main/core/dispatch.ts', "import type { Logger } from './logger';"],
  ],
};

describe('layer rules reject violations', () => {
  for (const [name, cases] of Object.entries(violations)) {
    it(name, async () => {
      for (const [file, code, why] of cases) {
        const messages = await lint(file, code);
        expect(messages, `${file}: ${code}`).not.toEqual([]);
        expect(
          messages.every((message) => message.severity === 2),
          `${file}: ${code}`,
        ).toBe(true);
        expect(messages.map((message) => message.message).join('\n'), `${file}: ${code}`).toContain(why);
      }
    });
  }
});

describe('layer rules let allowed imports through', () => {
  for (const [name, cases] of Object.entries(allowed)) {
    it(name, async () => {
      for (const [file, code] of cases) {
        // An allowed import only proves something where the rule is switched on.
        expect(await ruleIsOn(file), `${RULE} is on for ${file}`).toBe(true);
        expect(await lint(file, code), `${file}: ${code}`).toEqual([]);
      }
    });
  }
});

describe('the sources as they are', () => {
  it('pass every layer rule', async () => {
    const results = await eslint.lintFiles(['src']);
    const linted = results.map((result) => path.relative(repoRoot, result.filePath).split(path.sep).join('/'));
    for (const folder of [
      'src/main/core/',
      'src/main/memory/',
      'src/main/commerce/',
      'src/main/images/',
      'src/main/agent/',
      'src/main/shell/',
      'src/shared/',
      'src/renderer/',
      'src/preload/',
      'src/hub/',
    ]) {
      expect(
        linted.some((file) => file.startsWith(folder)),
        `files under ${folder} were linted`,
      ).toBe(true);
    }
    const broken = results.flatMap((result) =>
      result.messages.filter((message) => message.ruleId === RULE).map((message) => `${result.filePath}:${message.line} ${message.message}`),
    );
    expect(broken).toEqual([]);
  });

  it('switch the rule on for every source file', async () => {
    const results = await eslint.lintFiles(['src']);
    const off: string[] = [];
    for (const result of results) {
      if (!(await ruleIsOn(path.relative(repoRoot, result.filePath)))) off.push(result.filePath);
    }
    expect(off).toEqual([]);
  });
});
