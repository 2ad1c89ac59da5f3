import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY_META } from '@shared/security';

// Checks on the built app (`npm run build` runs before this suite): what the Electron binary would
// load, since the binary itself cannot be installed here.
const out = path.resolve(import.meta.dirname, '../../out');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe('the built app', () => {
  it('resolves every file the main process locates relative to itself', () => {
    const references: string[] = [];
    for (const file of filesUnder(path.join(out, 'main')).filter((name) => name.endsWith('.js'))) {
      for (const match of fs.readFileSync(file, 'utf8').matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)) {
        const target = path.resolve(path.dirname(file), match[1]!);
        references.push(path.relative(out, target));
        expect(fs.existsSync(target), `${path.relative(out, file)} points at missing ${match[1]}`).toBe(true);
      }
    }
    // The renderer folder is what the app's scheme (mm-app://app) serves; its page must be in it.
    expect(references).toEqual(expect.arrayContaining([path.join('preload', 'index.cjs'), 'renderer']));
    expect(fs.existsSync(path.join(out, 'renderer', 'index.html'))).toBe(true);
  });

  it('has a sandbox-ready preload that requires nothing but electron', () => {
    const preload = fs.readFileSync(path.join(out, 'preload', 'index.cjs'), 'utf8');
    const required = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]);
    expect(required).toEqual(['electron']);
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('bundles no schema library into the preload: it checks channel and event names only (main validates requests)', () => {
    const preload = fs.readFileSync(path.join(out, 'preload', 'index.cjs'), 'utf8');
    expect(preload).not.toMatch(/ZodError|_zod|\$Zod|safeParse/);
    // The names list and the bridge to IPC; zod alone was about 190 KB.
    expect(preload.length).toBeLessThan(10_000);
  });

  it('ships the page with the strict CSP in its meta tag', () => {
    const html = fs.readFileSync(path.join(out, 'renderer', 'index.html'), 'utf8');
    expect(html).toContain(`content="${CONTENT_SECURITY_POLICY_META}"`);
    expect(html).not.toContain('__CONTENT_SECURITY_POLICY__');
  });
});
