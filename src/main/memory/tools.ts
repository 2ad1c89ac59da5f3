import { z } from 'zod';
import { memoryKeySchema, type JsonValue, type MemoryScope, type SearchHit } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import type { MemoryService } from './memoryService';

/**
 * Who the agent is serving right now. The runner builds it from the session; it is never taken
 * from the model's arguments, so one customer's memory cannot reach another's.
 */
export interface ToolContext {
  userId: string;
  sessionId?: string;
  turnId?: string;
}

export interface MemoryTool<Params extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  /** Strict: a model that adds `userId` or any other field gets `invalid_request`. */
  parameters: Params;
  execute(args: z.output<Params>, context: ToolContext): unknown;
}

/**
 * What the model may store: one flat value (text, number or yes/no). Gemini fills flat schemas
 * reliably and rejects recursive ones; staff still store any JSON through the inspector.
 */
const memoryValueSchema = z.union([z.string().max(512 * 1024), z.number(), z.boolean()]);

const scopeChoice = z
  .enum(['customer', 'session'])
  .default('customer')
  .describe('customer: kept for the next visits (default); session: only for this conversation');

function scopeOf(context: ToolContext, choice: 'customer' | 'session'): MemoryScope {
  if (choice === 'session') {
    if (!context.sessionId) throw new AppError('invalid_request', 'There is no current session to remember this in.');
    return { userId: context.userId, sessionId: context.sessionId };
  }
  return { userId: context.userId };
}

function provenance(context: ToolContext): { sessionId?: string; turnId?: string } {
  return {
    ...(context.sessionId === undefined ? {} : { sessionId: context.sessionId }),
    ...(context.turnId === undefined ? {} : { turnId: context.turnId }),
  };
}

/** A search hit as the model gets it: what was found and when, without customer, session or event ids. */
export interface MemoryHitForModel {
  kind: SearchHit['kind'];
  /** The memory key (kind `memory` only). */
  key?: string;
  text: string;
  /** Day of the item (UTC), `YYYY-MM-DD`. */
  date: string;
}

function hitForModel(hit: SearchHit): MemoryHitForModel {
  return {
    kind: hit.kind,
    ...(hit.kind === 'memory' ? { key: hit.ref } : {}),
    text: hit.text,
    date: new Date(hit.timestamp).toISOString().slice(0, 10),
  };
}

function tool<Params extends z.ZodType>(definition: MemoryTool<Params>): MemoryTool<Params> {
  return definition;
}

/** The memory tools the root agent owns; plain functions over the MemoryService. */
export function createMemoryTools(memory: MemoryService) {
  const memorize = tool({
    name: 'memorize',
    description: 'Remember one fact about the current customer (a preference, a usual order, a decision) under a short key.',
    parameters: z
      .object({ key: memoryKeySchema, value: memoryValueSchema.describe('the fact in plain words (or a number, or true/false)'), scope: scopeChoice })
      .strict(),
    execute: ({ key, value, scope }, context) => {
      const entry = memory.memorize(scopeOf(context, scope), key, value, { provenance: provenance(context) });
      return { saved: true, key: entry.key, tier: entry.tier };
    },
  });

  const memorizeList = tool({
    name: 'memorize_list',
    description: 'Remember a list for the current customer (e.g. usual products); append adds only items not already there.',
    parameters: z
      .object({
        key: memoryKeySchema,
        items: z.array(memoryValueSchema).min(1).max(200),
        mode: z.enum(['append', 'replace']).default('append'),
        scope: scopeChoice,
      })
      .strict(),
    execute: ({ key, items, mode, scope }, context) => {
      const entry = memory.memorizeList(scopeOf(context, scope), key, items, { mode, provenance: provenance(context) });
      return { saved: true, key: entry.key, items: Array.isArray(entry.value) ? entry.value.length : 0 };
    },
  });

  const getMemory = tool({
    name: 'get_memory',
    description: 'Recall what was remembered about the current customer under a key (this conversation first, then earlier visits).',
    parameters: z.object({ key: memoryKeySchema }).strict(),
    execute: ({ key }, context): { found: true; key: string; value: JsonValue } | { found: false; key: string } => {
      const scopes: MemoryScope[] = context.sessionId ? [{ userId: context.userId, sessionId: context.sessionId }] : [];
      scopes.push({ userId: context.userId });
      for (const scope of scopes) {
        try {
          return { found: true, key, value: memory.getMemory(scope, key).value };
        } catch (error) {
          if (!(error instanceof AppError && error.code === 'not_found')) throw error;
        }
      }
      return { found: false, key };
    },
  });

  const forget = tool({
    name: 'forget',
    description: 'Forget what was remembered about the current customer under a key (in this conversation and for later visits).',
    parameters: z.object({ key: memoryKeySchema }).strict(),
    execute: ({ key }, context) => {
      let deleted = memory.forget({ userId: context.userId }, key).deleted;
      if (context.sessionId) deleted = memory.forget({ userId: context.userId, sessionId: context.sessionId }, key).deleted || deleted;
      return { forgotten: deleted, key };
    },
  });

  const searchMemory = tool({
    name: 'search_memory',
    description:
      'Search what is remembered about the current customer (this conversation and earlier visits) and the summaries of past conversations (accents optional).',
    parameters: z.object({ query: z.string().trim().min(1).max(200), limit: z.number().int().min(1).max(20).default(5) }).strict(),
    execute: ({ query, limit }, context): { hits: MemoryHitForModel[] } => {
      // Seen from this conversation: customer-wide memories, this session's own memories and
      // messages, and past conversations' summaries; never another conversation's session memories.
      const hits = context.sessionId
        ? memory.searchMemory({ userId: context.userId, sessionId: context.sessionId }, query, limit, { pastSummaries: true })
        : memory.searchMemory({ userId: context.userId }, query, limit * 4).filter((hit) => hit.sessionId === null || hit.kind === 'summary');
      return { hits: hits.slice(0, limit).map(hitForModel) };
    },
  });

  return { memorize, memorize_list: memorizeList, get_memory: getMemory, forget, search_memory: searchMemory };
}

export type MemoryTools = ReturnType<typeof createMemoryTools>;

/** Validates the model's arguments, then runs the tool in the given context. */
export function runMemoryTool(tools: MemoryTools, name: string, args: unknown, context: ToolContext): unknown {
  const found = new Map(Object.entries(tools)).get(name) as MemoryTool | undefined;
  if (!found) throw new AppError('invalid_request', `unknown memory tool ${name}`);
  const parsed = found.parameters.safeParse(args ?? {});
  if (!parsed.success) {
    throw new AppError('invalid_request', `${name}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
  }
  return found.execute(parsed.data, context);
}
