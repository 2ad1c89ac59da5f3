import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util/out/DebugLogger';

// electron-builder.yml read by electron-builder's own loader and checked against its own schema
// (packaging itself needs Electron's binaries from the internet and cannot run here).
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('electron-builder configuration', async () => {
  const config = await getConfig(repoRoot, path.join(repoRoot, 'electron-builder.yml'), null);

  it('is valid for this electron-builder', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('flips every fuse the app relies on', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // onlyLoadAppFromAsar and the integrity check need the app in an asar.
    expect(config.asar ?? true).not.toBe(false);
  });

  it('publishes update metadata for a generic https server, for every installer electron-updater can install', () => {
    expect(config.publish).toMatchObject({ provider: 'generic', url: expect.stringMatching(/^https:\/\//) });
    expect(config.linux?.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.win?.target).toEqual(expect.arrayContaining(['nsis']));
    // electron-updater installs the zip on macOS; the dmg alone gets no latest-mac.yml.
    expect(config.mac?.target).toEqual(expect.arrayContaining(['dmg', 'zip']));
    expect(config.win?.signtoolOptions?.publisherName).toEqual(expect.any(String));
  });

  it('leaves nothing in the app that needs run-as-node (no child Node processes forked from main)', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/\.(ts|tsx)$/.test(entry.name)) {
          const text = fs.readFileSync(full, 'utf8');
          if (/child_process|\bfork\(|ELECTRON_RUN_AS_NODE|process\.execPath/.test(text)) offenders.push(path.relative(repoRoot, full));
        }
      }
    };
    walk(path.join(repoRoot, 'src', 'main'));
    walk(path.join(repoRoot, 'src', 'preload'));
    expect(offenders).toEqual([]);
  });
});
