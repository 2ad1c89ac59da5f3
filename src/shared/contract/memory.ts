import { z } from 'zod';
import { canonicalMemoryKey, customerIdentitySchema } from '../identity';
import type { CustomerRecord } from './customers';
import { channel, event } from './define';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Where an entry was served from or lives: hot is the in-process cache over warm rows. */
export const memoryTiers = ['hot', 'warm', 'cold'] as const;
export type MemoryTier = (typeof memoryTiers)[number];
export type StoredTier = Exclude<MemoryTier, 'hot'>;
export type Codec = 'none' | 'brotli' | 'gzip';

export const eventKinds = ['message', 'tool_call', 'tool_result', 'transfer', 'error', 'summary'] as const;
export type EventKind = (typeof eventKinds)[number];

export const maintenanceTasks = ['cleanup', 'summarize', 'compress'] as const;
export type MaintenanceTask = (typeof maintenanceTasks)[number];

export const MAX_KEY_LENGTH = 256;

/** A customer in any request: canonicalised (one customer, one id) or refused, see `@shared/identity`. */
export const userIdSchema = customerIdentitySchema;
export const sessionIdSchema = z.string().min(1, 'session id is empty').max(128, 'session id is longer than 128 characters');
/** A memory key: well-formed, NFC, one line (`@shared/identity` `canonicalMemoryKey`), at most MAX_KEY_LENGTH characters. */
export const memoryKeySchema = z
  .string()
  .min(1, 'key is empty')
  .transform((value, context) => {
    const canonical = canonicalMemoryKey(value);
    if (canonical.ok) return canonical.key;
    context.addIssue({ code: 'custom', message: canonical.message, params: { problem: canonical.problem } });
    return z.NEVER;
  })
  .pipe(z.string().max(MAX_KEY_LENGTH, `key is longer than ${MAX_KEY_LENGTH} characters`));
/**
 * Object keys a memory value may not have, at any depth. JavaScript treats them specially (a
 * parsed `__proto__` key is dropped or turns into the object's prototype when the value is copied),
 * so instead of storing something that does not come back byte for byte, a value holding one as
 * an own key is refused with `invalid_request` naming where it is.
 */
export const RESERVED_VALUE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/**
 * The path (`["a", 0, "__proto__"]`) of the first own reserved key in `value`, or null when there
 * is none. Iterative, so a deeply nested value cannot overflow the stack; cycles are not followed.
 */
export function reservedKeyPath(value: unknown): (string | number)[] | null {
  const stack: { node: unknown; path: (string | number)[] }[] = [{ node: value, path: [] }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) {
      for (let index = node.length - 1; index >= 0; index--) stack.push({ node: node[index] as unknown, path: [...path, index] });
      continue;
    }
    const keys = Object.keys(node);
    for (const key of keys) if (RESERVED_VALUE_KEYS.includes(key)) return [...path, key];
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index]!;
      stack.push({ node: (node as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return null;
}

/** Plain JSON without reserved keys (see `RESERVED_VALUE_KEYS`): what is stored comes back exactly. */
export const jsonValueSchema: z.ZodType<JsonValue> = z
  .unknown()
  .superRefine((value, context) => {
    const path = reservedKeyPath(value);
    if (path) {
      context.addIssue({
        code: 'custom',
        path,
        message: `the key "${String(path.at(-1))}" is reserved and cannot be stored in a memory value`,
      });
    }
  })
  .pipe(z.json());
const limitSchema = z.number().int().min(1).max(500);

export interface MemoryScope {
  userId: string;
  sessionId?: string;
}

export interface Provenance {
  sessionId: string | null;
  turnId: string | null;
}

export interface MemoryEntryView {
  userId: string;
  /** Null for customer-wide memories. */
  sessionId: string | null;
  key: string;
  /** `hot` when the entry is in the in-process cache right now. */
  tier: MemoryTier;
  storedTier: StoredTier;
  codec: Codec;
  /** Uncompressed JSON bytes of key and value. */
  sizeBytes: number;
  /** Bytes the value takes in SQLite (compressed for cold rows). */
  storedBytes: number;
  createdAt: number;
  updatedAt: number;
  accessedAt: number;
  expiresAt: number | null;
  provenance: Provenance;
  /** Where another desk learned it, through the sync hub ("Quầy 3", "b2c_10010_vi", accepted at); null or absent when learned at this desk. */
  learnedAt?: LearnedAt | null;
}

/** Provenance of something another desk learned (sync): the desk and store names, and when the hub accepted it. */
export interface LearnedAt {
  deskName: string;
  store: string;
  at: number;
}

export interface MemoryValueView extends MemoryEntryView {
  value: JsonValue;
}

export interface MemoryPage {
  items: MemoryEntryView[];
  nextCursor: string | null;
}

export interface SearchHit {
  kind: 'memory' | 'message' | 'summary';
  userId: string;
  sessionId: string | null;
  /** The memory key (kind `memory`) or the event id (kind `message`). */
  ref: string;
  text: string;
  timestamp: number;
}

export interface SearchResult {
  hits: SearchHit[];
}

export interface QuotaUse {
  quota: 'hot' | 'warm' | 'cold';
  limit: number;
  used: number;
  ratio: number;
}

export interface QuotaWarning extends QuotaUse {
  userId: string;
  sessionId: string | null;
}

export interface TierFigures {
  bytes: number;
  entries: number;
}

export interface CustomerUsage {
  userId: string;
  warm: TierFigures;
  cold: TierFigures;
}

export interface MaintenanceReport {
  task: MaintenanceTask;
  startedAt: number;
  finishedAt: number;
  slices: number;
  /** Longest synchronous slice in milliseconds (the main thread was blocked at most this long). */
  longestSliceMs: number;
  expiredDeleted: number;
  demoted: number;
  compressed: number;
  summarized: number;
  skipped: number;
  /** Summarization: conversations left whole because they had a message within the last `summarizeAfterDays` days (only older ones are summarized). */
  recent: number;
  bytesFreed: number;
  trigger: 'schedule' | 'catch-up' | 'manual';
}

/** Counters since the app started. */
export interface MemoryCounters {
  hits: Record<MemoryTier, number>;
  misses: number;
  compressions: number;
  cleanups: number;
  summaries: number;
  quotaWarnings: number;
}

export interface MemoryStats extends MemoryCounters {
  tiers: Record<MemoryTier, TierFigures>;
  customers: CustomerUsage[];
  limits: {
    hotSessionBytes: number;
    hotCapBytes: number;
    warmUserBytes: number;
    coldUserBytes: number;
    warmTtlDays: number;
    coldRetentionDays: number;
    summarizeAfterDays: number;
  };
  lastRuns: Partial<Record<MaintenanceTask, number>>;
  process: { rss: number; heapUsed: number; heapTotal: number; external: number };
}

export interface SessionView {
  userId: string;
  sessionId: string;
  title: string | null;
  createdAt: number;
  lastEventAt: number | null;
  eventCount: number;
  summarizedAt: number | null;
}

export interface SessionEvent {
  id: string;
  author: string;
  kind: EventKind;
  content: JsonValue;
  turnId: string | null;
  timestamp: number;
}

export interface HistoryPage {
  events: SessionEvent[];
  /** Pass as `before` to get the older page; null when this page reaches the first event. */
  nextCursor: string | null;
}

export interface SummaryRecord {
  summary: string;
  key_facts: string[];
  user_preferences: Record<string, string>;
  important_events: string[];
  timestamp: string;
}

/** A stored summary of an old conversation, as the inspector shows it. */
export interface SummaryView extends SummaryRecord {
  sessionId: string;
  eventCount: number;
  firstTimestamp: number;
  lastTimestamp: number;
  createdAt: number;
  storedBytes: number;
  /** Where another desk had the conversation (its summary came through the sync hub, without the transcript); absent when here. */
  learnedAt?: LearnedAt | null;
}

export interface CustomerExport {
  userId: string;
  exportedAt: string;
  memories: (MemoryValueView & { scope: 'customer' | 'session' })[];
  /** Live events, and for summarized conversations the summary with the archived transcript. */
  sessions: (SessionView & { events: SessionEvent[]; summaries: (SummaryRecord & { events: SessionEvent[] })[] })[];
  /** What staff recorded about the customer (name, phone, membership number), when there is a record. */
  customer?: CustomerRecord;
}

export interface DeletedCounts {
  memories: number;
  sessions: number;
  events: number;
  summaries: number;
}

const scopeFields = { userId: userIdSchema, sessionId: sessionIdSchema.optional() };

export const memoryChannels = {
  'memory.list': channel<MemoryPage>()(
    z
      .object({
        userId: userIdSchema.optional(),
        sessionId: sessionIdSchema.optional(),
        tier: z.enum(memoryTiers).optional(),
        query: z.string().trim().min(1).max(200).optional(),
        keyContains: z.string().min(1).max(MAX_KEY_LENGTH).optional(),
        minBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
        updatedBefore: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
        cursor: z.string().min(1).max(2000).optional(),
        limit: limitSchema.optional(),
      })
      .strict(),
  ),
  'memory.summaries': channel<{ summaries: SummaryView[] }>()(z.object(scopeFields).strict()),
  'memory.search': channel<SearchResult>()(
    z.object({ ...scopeFields, query: z.string().trim().min(1).max(200), limit: limitSchema.optional() }).strict(),
  ),
  'memory.get': channel<MemoryValueView>()(z.object({ ...scopeFields, key: memoryKeySchema }).strict()),
  'memory.put': channel<MemoryValueView>()(
    z
      .object({
        ...scopeFields,
        key: memoryKeySchema,
        value: jsonValueSchema,
        ttlMs: z
          .number()
          .int()
          .positive()
          .max(3650 * 24 * 3600 * 1000)
          .optional(),
      })
      .strict(),
  ),
  'memory.forget': channel<{ deleted: boolean }>()(z.object({ ...scopeFields, key: memoryKeySchema }).strict()),
  'memory.stats': channel<MemoryStats>()(z.object({}).strict()),
  'memory.runMaintenance': channel<MaintenanceReport>()(z.object({ task: z.enum(maintenanceTasks) }).strict()),
  'memory.export': channel<CustomerExport>()(z.object({ userId: userIdSchema }).strict()),
  'memory.deleteCustomer': channel<DeletedCounts>()(z.object({ userId: userIdSchema }).strict()),
  'sessions.list': channel<{ sessions: SessionView[] }>()(z.object({ userId: userIdSchema }).strict()),
  'sessions.create': channel<SessionView>()(
    z.object({ userId: userIdSchema, sessionId: sessionIdSchema.optional(), title: z.string().max(200).optional() }).strict(),
  ),
  'sessions.delete': channel<DeletedCounts>()(z.object({ userId: userIdSchema, sessionId: sessionIdSchema }).strict()),
  /** A conversation's events, newest page first (each page oldest → newest): what the chat shows when it opens one. */
  'sessions.history': channel<HistoryPage>()(
    z
      .object({
        userId: userIdSchema,
        sessionId: sessionIdSchema,
        before: z
          .string()
          .regex(/^\d{1,18}$/, 'cursor is not one this app gave out')
          .optional(),
        limit: limitSchema.optional(),
      })
      .strict(),
  ),
};

export const memoryEvents = {
  'memory.quotaWarning': event<QuotaWarning>(),
  'memory.changed': event<{
    userId: string | null;
    sessionId: string | null;
    key: string | null;
    change: 'put' | 'forget' | 'deleteCustomer' | 'deleteSession' | 'maintenance';
  }>(),
};
