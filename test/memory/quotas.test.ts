import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { integrityCheck } from '../../src/main/storage/database';
import { defaultSettings } from '@shared/settings';
import { tempDir } from '../helpers/tempDir';
import { KB, incompressible, openMemory } from './helpers';

const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/memory-quota-writer.ts');

interface Seen {
  writes: number;
  refused: number;
  refusalsNamingQuota: number;
  checks: number;
  violations: string[];
  sampleRefusal: string;
}

function runWriter(dir: string, id: number, count: number, warm: number, cold: number): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(id), String(count), String(warm), String(cold)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(stdout.trim()) as Seen) : reject(new Error(`writer ${id} failed: ${stderr.slice(0, 3000)}`)),
    );
  });
}

describe('quotas', () => {
  it('never lets any customer exceed a quota at any committed state with many writers at once', async () => {
    const dir = tempDir();
    openMemory(dir).db.close(); // create the schema once, before the writers race
    const warm = 96 * KB;
    const cold = 160 * KB;
    const results = await Promise.all([1, 2, 3, 4].map((id) => runWriter(dir, id, 250, warm, cold)));
    const total = results.reduce(
      (sum, seen) => ({
        writes: sum.writes + seen.writes,
        refused: sum.refused + seen.refused,
        named: sum.named + seen.refusalsNamingQuota,
        checks: sum.checks + seen.checks,
      }),
      { writes: 0, refused: 0, named: 0, checks: 0 },
    );
    expect(results.flatMap((seen) => seen.violations)).toEqual([]);
    expect(total.checks).toBe(1000);
    expect(total.writes).toBeGreaterThan(100);
    expect(total.refused).toBeGreaterThan(0);
    expect(total.named).toBe(total.refused);
    const m = openMemory(dir);
    expect(integrityCheck(m.db)).toBe('ok');
    for (const userId of ['khách-A', 'khách-B']) {
      expect(m.usage(userId, 'warm').bytes).toBeLessThanOrEqual(warm);
      expect(m.usage(userId, 'cold').bytes).toBeLessThanOrEqual(cold);
    }
    await m.shutdown();
  }, 120_000);

  it('checks new quotas at once, for new entries and events as for rewrites, and keeps the ledger equal to the rows', async () => {
    const m = openMemory(tempDir());
    const scope = { userId: 'c1' };
    m.sessions.createSession({ userId: 'c1', sessionId: 's1' });
    for (let i = 0; i < 4; i++) m.memory.memorize(scope, `k${i}`, incompressible(30 * KB, i + 1));
    m.applyQuotas({ ...defaultSettings.quotas, warmUserBytes: 100 * KB, coldUserBytes: 100 * KB });
    // Over the new warm quota: the least recently read entries go cold to make room.
    m.memory.memorize(scope, 'k4', incompressible(30 * KB, 9));
    expect(m.usage('c1', 'warm').bytes).toBeLessThanOrEqual(100 * KB);
    expect(m.memory.listMemories({ userId: 'c1', tier: 'cold' }).items.length).toBeGreaterThan(0);
    const refusals: string[] = [];
    for (let i = 0; i < 12; i++) {
      try {
        if (i % 2)
          m.sessions.appendEvent({
            userId: 'c1',
            sessionId: 's1',
            event: { author: 'user', kind: 'message', content: incompressible(20 * KB, 50 + i) },
          });
        else m.memory.memorize(scope, `more${i}`, incompressible(20 * KB, 100 + i));
      } catch (error) {
        refusals.push((error as { code?: string }).code ?? String(error));
      }
    }
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['quota_exceeded']));
    expect(m.usage('c1', 'warm').bytes).toBeLessThanOrEqual(100 * KB);
    expect(m.usage('c1', 'cold').bytes).toBeLessThanOrEqual(100 * KB);
    const rows = (sql: string) => m.db.prepare(sql).get() as { bytes: number; n: number };
    const warmRows = rows(
      "SELECT (SELECT coalesce(sum(stored_bytes), 0) FROM memory_entries WHERE tier = 'warm') + (SELECT coalesce(sum(bytes), 0) FROM memory_events) AS bytes, (SELECT count(*) FROM memory_entries WHERE tier = 'warm') + (SELECT count(*) FROM memory_events) AS n",
    );
    const coldRows = rows("SELECT coalesce(sum(stored_bytes), 0) AS bytes, count(*) AS n FROM memory_entries WHERE tier = 'cold'");
    expect(m.usage('c1', 'warm')).toEqual({ bytes: warmRows.bytes, entries: warmRows.n });
    expect(m.usage('c1', 'cold')).toEqual({ bytes: coldRows.bytes, entries: coldRows.n });
    await m.shutdown();
  });

  it('warns once when a quota reaches 90 %, and again only after it fell back below', async () => {
    const m = openMemory(tempDir(), { limits: { warmUserBytes: 100 * KB, coldUserBytes: 100 * KB } });
    const warnings = () => m.emitted.filter((event) => event.name === 'memory.quotaWarning').map((event) => event.payload);
    for (let i = 0; i < 8; i++) m.memory.memorize({ userId: 'c1' }, `k${i}`, incompressible(10 * KB, i + 1));
    expect(warnings()).toEqual([]);
    m.memory.memorize({ userId: 'c1' }, 'k8', incompressible(10 * KB, 42));
    m.memory.memorize({ userId: 'c1' }, 'k9', 'small');
    expect(warnings()).toEqual([expect.objectContaining({ userId: 'c1', quota: 'warm', limit: 100 * KB })]);
    expect(m.memory.stats().quotaWarnings).toBe(1);
    for (let i = 0; i < 5; i++) m.memory.forget({ userId: 'c1' }, `k${i}`);
    m.memory.memorize({ userId: 'c1' }, 'k9', 'small again');
    for (let i = 0; i < 5; i++) m.memory.memorize({ userId: 'c1' }, `k${i}`, incompressible(10 * KB, i + 1));
    expect(warnings()).toHaveLength(2);
    await m.shutdown();
  });
});
