import path from 'node:path';
import { EventBus } from '../../src/main/core/eventBus';
import type { Clock } from '../../src/main/core/clock';
import { createMemory, limitsFromQuotas, type MemoryLimits, type MemoryModule } from '../../src/main/memory';
import type { Summarizer } from '../../src/main/memory/summarizer';
import { openDatabase, type Db } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import { defaultSettings } from '@shared/settings';
import type { EventName } from '@shared/contract';
import type { MaintenanceReport } from '@shared/contract/memory';

export interface OpenedMemory extends MemoryModule {
  db: Db;
  file: string;
  /** Memory's events forwarded as contract events (as src/main/app/services.ts does), and the agent's. */
  bus: EventBus;
  emitted: { name: EventName; payload: unknown }[];
  reports: MaintenanceReport[];
  shutdown(): Promise<void>;
}

/** The real memory services on a real SQLite file in `dir`, with optional limits and clock. */
export function openMemory(dir: string, options: { limits?: Partial<MemoryLimits>; clock?: Clock; summarizer?: Summarizer } = {}): OpenedMemory {
  const file = path.join(dir, 'memory.sqlite');
  const { db } = openDatabase(file, migrations);
  const bus = new EventBus();
  const emitted: OpenedMemory['emitted'] = [];
  bus.subscribe((name, payload) => emitted.push({ name, payload }));
  const reports: MaintenanceReport[] = [];
  const module = createMemory({
    db,
    limits: limitsFromQuotas(defaultSettings.quotas, options.limits),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.summarizer ? { summarizer: options.summarizer } : {}),
    onMaintenanceReport: (report) => reports.push(report),
  });
  // Forwarded as the composition root does, so tests see what the renderer would.
  module.events.on('changed', (change) => bus.emit('memory.changed', change));
  module.events.on('quotaWarning', (warning) => bus.emit('memory.quotaWarning', warning));
  return Object.assign(module, {
    db,
    file,
    bus,
    emitted,
    reports,
    async shutdown() {
      await module.close();
      db.close();
    },
  });
}

export { ManualClock } from '../helpers/manualClock';

export const KB = 1024;
export const DAY = 24 * 3600_000;
export const HOUR = 3600_000;

/** Text that does not compress (so byte figures are predictable under brotli). */
export function incompressible(bytes: number, seed = 1): string {
  let state = seed >>> 0 || 1;
  let text = '';
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < bytes; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    text += alphabet[(state >>> 16) & 63];
  }
  return text;
}

/** Every row in every ordinary table of the file that mentions `needle` in any column. */
export function rowsMentioning(db: Db, needle: string): { table: string; count: number }[] {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'memory_fts%'")
    .all() as { name: string }[];
  const found: { table: string; count: number }[] = [];
  for (const { name } of tables) {
    const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[];
    const condition = columns.map((column) => `instr(CAST("${column.name}" AS TEXT), ?) > 0`).join(' OR ');
    const count = (db.prepare(`SELECT count(*) AS n FROM "${name}" WHERE ${condition}`).get(...columns.map(() => needle)) as { n: number }).n;
    if (count > 0) found.push({ table: name, count });
  }
  return found;
}
