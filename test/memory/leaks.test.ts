/**
 * "Nothing leaks, no fault loses data": memory values round-trip exactly or are refused, requests
 * nested too deeply are refused before validation, and a conversation's own memories stay inside it.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_DEPTH } from '../../src/main/core/dispatch';
import { createMemoryTools, runMemoryTool } from '../../src/main/memory/tools';
import { snapshotDatabase } from '../helpers/dbSnapshot';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { openMemory } from './helpers';

const call = { transport: 'test' } as const;

function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < levels; level++) value = level % 2 === 0 ? { a: value } : [value];
  return value;
}

describe('memory values', () => {
  it('refuses reserved keys (__proto__, constructor, prototype) at any depth, naming the path, and changes nothing', async () => {
    const services = await startServices(tempDir());
    try {
      const before = snapshotDatabase(services.db!);
      const values = [
        JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as unknown,
        JSON.parse('{"a": [1, {"b": {"__proto__": 1}}]}') as unknown,
        { a: { constructor: 'x' } },
        [{ prototype: 1 }],
      ];
      const paths = [
        ['value', '__proto__'],
        ['value', 'a', '1', 'b', '__proto__'],
        ['value', 'a', 'constructor'],
        ['value', '0', 'prototype'],
      ];
      for (const [index, value] of values.entries()) {
        const result = await services.dispatch('memory.put', { userId: 'c1', key: `k${index}`, value }, call);
        expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request', details: [{ path: paths[index] }] } });
        expect(result.ok ? '' : result.error.message).toContain(String(paths[index]!.at(-1)));
      }
      expect(snapshotDatabase(services.db!)).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // Ordinary keys that merely look alike are stored and come back exactly.
      const value = { __proto_: 1, Constructor: 'x', proto: [{ prototypes: null }], 'đồ uống': 'trà' };
      expect(await services.dispatch('memory.put', { userId: 'c1', key: '__proto__', value }, call)).toMatchObject({ ok: true });
      const got = await services.dispatch('memory.get', { userId: 'c1', key: '__proto__' }, call);
      expect(got.ok && JSON.stringify((got.value as { value: unknown }).value)).toBe(JSON.stringify(value));
    } finally {
      await services.close();
    }
  });

  it('the memory service refuses them too (what the tools and the runner call), and tools store flat values exactly', async () => {
    const m = openMemory(tempDir());
    const tools = createMemoryTools(m.memory);
    const context = { userId: 'A', sessionId: 's1' };
    expect(() => m.memory.memorize({ userId: 'A' }, 'k', JSON.parse('{"x": {"__proto__": 1}}'))).toThrow(
      expect.objectContaining({ code: 'invalid_request', message: expect.stringContaining('value.x.__proto__') as string }),
    );
    expect(() => m.memory.memorizeList({ userId: 'A' }, 'k', [{ constructor: 1 }], { mode: 'append' })).toThrow(
      expect.objectContaining({ code: 'invalid_request', message: expect.stringContaining('items.0.constructor') as string }),
    );
    // The model stores flat values only: an object (with or without reserved keys) is refused, never half-stored.
    expect(() => runMemoryTool(tools, 'memorize', { key: 'x', value: JSON.parse('{"__proto__": "a"}') }, context)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(runMemoryTool(tools, 'memorize', { key, value: `giá trị ${key}` }, context)).toMatchObject({ saved: true });
      expect(runMemoryTool(tools, 'get_memory', { key }, context)).toEqual({ found: true, key, value: `giá trị ${key}` });
    }
    expect(m.memory.listMemories({ userId: 'A' }).items.map((item) => item.key)).toEqual(['__proto__', 'constructor', 'prototype']);
    await m.shutdown();
  });
});

describe('request depth', () => {
  it(`refuses requests nested more than ${MAX_REQUEST_DEPTH} levels as invalid_request, without a rejection or a write`, async () => {
    const services = await startServices(tempDir());
    try {
      const before = snapshotDatabase(services.db!);
      const deep = nested(10_000);
      for (const [channel, request] of [
        ['memory.put', { userId: 'c1', key: 'k', value: deep }],
        ['memory.get', deep],
        ['sessions.create', { userId: 'c1', title: deep }],
        ['memory.put', { userId: 'c1', key: 'k', value: nested(MAX_REQUEST_DEPTH + 1) }],
      ] as const) {
        const result = await services.dispatch(channel, request, call);
        expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining('levels deep') as string } });
      }
      // A cycle (only in-process callers can make one) is refused the same way.
      const cyclic: Record<string, unknown> = { userId: 'c1', key: 'k' };
      cyclic.value = { self: cyclic };
      expect(await services.dispatch('memory.put', cyclic, call)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(snapshotDatabase(services.db!)).toBe(before);
      // Just within the limit is an ordinary value.
      const within = nested(MAX_REQUEST_DEPTH - 2);
      expect(await services.dispatch('memory.put', { userId: 'c1', key: 'k', value: within }, call)).toMatchObject({ ok: true });
      const got = await services.dispatch('memory.get', { userId: 'c1', key: 'k' }, call);
      expect(got.ok && (got.value as { value: unknown }).value).toEqual(within);
    } finally {
      await services.close();
    }
  });

  it('answers a Result even when a request cannot be read at all', async () => {
    const services = await startServices(tempDir());
    try {
      const hostile = new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error('boom');
          },
        },
      );
      await expect(services.dispatch('memory.stats', hostile, call)).resolves.toMatchObject({ ok: false });
    } finally {
      await services.close();
    }
  });
});

describe('session and customer scope (probe)', () => {
  it('nothing of session 1 reaches session 2 of the same customer, and nothing of customer A reaches customer B, through any memory tool or channel', async () => {
    const services = await startServices(tempDir());
    try {
      const memory = services.memory!;
      const A = 'khach-A-1001';
      const B = 'khach-B-2002';
      const s1 = crypto.randomUUID();
      const s2 = crypto.randomUUID();
      const sB = crypto.randomUUID();
      for (const [userId, sessionId] of [
        [A, s1],
        [A, s2],
        [B, sB],
      ] as const)
        memory.sessions.createSession({ userId, sessionId });
      // Session 1's own things: a session-scoped memory and a staff message.
      memory.memory.memorize({ userId: A, sessionId: s1 }, 'tạm', 'zebrafruit cho hôm nay', { provenance: { sessionId: s1 } });
      memory.memory.memorizeList({ userId: A, sessionId: s1 }, 'giỏ tạm', ['zebrafruit bia'], { mode: 'append' });
      memory.sessions.appendEvent({ userId: A, sessionId: s1, event: { author: 'user', kind: 'message', content: 'khách hỏi quokkaberry' } });
      // Customer A's customer-wide memory, visible to both of A's sessions but never to B.
      memory.memory.memorize({ userId: A }, 'sữa', 'narwhalcheese không đường', { provenance: { sessionId: s1 } });
      const session1 = ['zebrafruit', 'quokkaberry', s1];
      const customerA = [...session1, 'narwhalcheese', A, s2];

      const tools = createMemoryTools(memory.memory);
      const produced = (label: string, value: unknown) => ({ label, text: JSON.stringify(value) });
      const toolOutputs = (context: { userId: string; sessionId: string }) => {
        const out: { label: string; text: string }[] = [];
        const run = (name: string, args: unknown) => {
          try {
            out.push(produced(`${name} ${JSON.stringify(args)}`, runMemoryTool(tools, name, args, context)));
          } catch (error) {
            out.push(produced(`${name} ${JSON.stringify(args)} (error)`, error instanceof Error ? error.message : error));
          }
        };
        for (const query of ['zebrafruit', 'quokkaberry', 'narwhalcheese', 'tam', 'gio tam', 'sua']) run('search_memory', { query, limit: 20 });
        for (const key of ['tạm', 'giỏ tạm', 'sữa']) run('get_memory', { key });
        run('memorize', { key: 'ghi chú', value: 'khác', scope: 'session' });
        run('memorize_list', { key: 'giỏ tạm', items: ['trà'], scope: 'session' });
        run('forget', { key: 'tạm' });
        return out;
      };
      const channelOutputs = async (userId: string, sessionId: string) => {
        const out: { label: string; text: string }[] = [];
        const ask = async (channel: string, request: Record<string, unknown>) =>
          out.push(produced(`${channel} ${JSON.stringify(request)}`, await services.dispatch(channel, request, call)));
        for (const query of ['zebrafruit', 'quokkaberry', 'narwhalcheese', 'tam']) await ask('memory.search', { userId, sessionId, query });
        for (const key of ['tạm', 'giỏ tạm', 'sữa']) await ask('memory.get', { userId, sessionId, key });
        await ask('memory.list', { userId, sessionId });
        await ask('memory.list', { userId, sessionId, query: 'zebrafruit' });
        await ask('memory.summaries', { userId, sessionId });
        await ask('sessions.history', { userId, sessionId });
        await ask('memory.forget', { userId, sessionId, key: 'tạm' });
        return out;
      };

      // Session 2 of the same customer: the customer-wide memory yes, session 1's things never.
      const fromS2 = [...toolOutputs({ userId: A, sessionId: s2 }), ...(await channelOutputs(A, s2))];
      for (const { label, text } of fromS2) for (const secret of session1) expect(text, label).not.toContain(secret);
      expect(fromS2.some(({ text }) => text.includes('narwhalcheese'))).toBe(true);
      // Session 1 still has its memories (session 2's forget did not reach them) and sees them itself.
      expect(memory.memory.getMemory({ userId: A, sessionId: s1 }, 'tạm').value).toBe('zebrafruit cho hôm nay');
      expect(JSON.stringify(runMemoryTool(tools, 'search_memory', { query: 'zebrafruit' }, { userId: A, sessionId: s1 }))).toContain('zebrafruit');

      // Customer B: nothing of customer A, through the session channels and the customer-wide ones.
      const fromB = [...toolOutputs({ userId: B, sessionId: sB }), ...(await channelOutputs(B, sB))];
      for (const [channel, request] of [
        ['memory.export', { userId: B }],
        ['sessions.list', { userId: B }],
        ['memory.list', { userId: B }],
        ['memory.summaries', { userId: B }],
        ['memory.search', { userId: B, query: 'narwhalcheese' }],
        ['memory.search', { userId: B, query: 'zebrafruit' }],
      ] as const)
        fromB.push(produced(channel, await services.dispatch(channel, request, call)));
      for (const { label, text } of fromB) for (const secret of customerA) expect(text, label).not.toContain(secret);
    } finally {
      await services.close();
    }
  });
});
