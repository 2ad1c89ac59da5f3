import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { integrityCheck } from '../../src/main/storage/database';
import { tempDir } from '../helpers/tempDir';
import { openMemory } from './helpers';

const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/memory-writer.ts');
const ROUNDS = 20;

/** Starts the writer, kills it with SIGKILL once it acknowledged `killAfter` keys, returns the acknowledged ones. */
function writeUntilKilled(dir: string, prefix: string, killAfter: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acknowledged: number[] = [];
    let buffered = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) acknowledged.push(Number(line));
      if (acknowledged.length >= killAfter) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acknowledged);
      else reject(new Error(`writer ended without being killed: ${stderr.slice(0, 2000)}`));
    });
  });
}

describe('durability', () => {
  it(`keeps every acknowledged memory when the process is killed at a random moment (${ROUNDS} rounds)`, async () => {
    const dir = tempDir();
    const expected = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const prefix = `r${round}`;
      const acknowledged = await writeUntilKilled(dir, prefix, 20 + Math.floor(Math.random() * 200));
      for (const i of acknowledged) expected.set(`${prefix}-${i}`, i);

      const m = openMemory(dir);
      expect(integrityCheck(m.db)).toBe('ok');
      for (const [key, i] of expected) {
        expect(m.memory.getMemory({ userId: 'khách' }, key).value).toMatchObject({ i });
      }
      // The search index catches up on entries the killed run had not indexed yet.
      const lastKey = `${prefix}-${acknowledged.at(-1)!}`;
      expect(m.memory.searchMemory({ userId: 'khách' }, lastKey.replace('-', ' '), 100).map((hit) => hit.ref)).toContain(lastKey);
      const events = m.sessions.getSession({ userId: 'khách', sessionId: prefix }).events.map((event) => event.id);
      expect(events.slice(0, acknowledged.length)).toEqual(acknowledged.map((i) => `${prefix}-${i}`));
      // The usage ledger was written in the same transactions, so it matches the rows exactly.
      const ledger = m.db.prepare("SELECT bytes FROM memory_usage WHERE user_id = 'khách' AND tier = 'warm'").get() as { bytes: number };
      const actual = m.db
        .prepare(
          "SELECT (SELECT coalesce(sum(stored_bytes), 0) FROM memory_entries WHERE tier = 'warm') + (SELECT coalesce(sum(bytes), 0) FROM memory_events) AS bytes",
        )
        .get() as { bytes: number };
      expect(ledger.bytes).toBe(actual.bytes);
      await m.shutdown();
    }
  }, 120_000);
});
