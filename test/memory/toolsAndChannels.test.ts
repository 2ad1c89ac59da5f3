import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DB_FILE_NAME } from '../../src/main/app/config';
import { createMemoryTools, runMemoryTool } from '../../src/main/memory/tools';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { openMemory } from './helpers';

const call = { transport: 'test' } as const;

describe('memory tools', () => {
  it('take the customer from the context, never from the model, so customer A’s memory never reaches customer B', async () => {
    const m = openMemory(tempDir());
    const tools = createMemoryTools(m.memory);
    const customerA = { userId: 'A', sessionId: 'sa', turnId: 't1' };
    const customerB = { userId: 'B', sessionId: 'sb', turnId: 't9' };
    expect(runMemoryTool(tools, 'memorize', { key: 'dị ứng', value: 'tôm' }, customerA)).toMatchObject({ saved: true });
    expect(runMemoryTool(tools, 'get_memory', { key: 'dị ứng' }, customerB)).toEqual({ found: false, key: 'dị ứng' });
    expect(() => runMemoryTool(tools, 'get_memory', { key: 'dị ứng', userId: 'A' }, customerB)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(runMemoryTool(tools, 'search_memory', { query: 'tom' }, customerB)).toEqual({ hits: [] });
    expect(runMemoryTool(tools, 'search_memory', { query: 'tom' }, customerA)).toMatchObject({ hits: [{ kind: 'memory', key: 'dị ứng' }] });
    expect(runMemoryTool(tools, 'get_memory', { key: 'dị ứng' }, customerA)).toEqual({ found: true, key: 'dị ứng', value: 'tôm' });
    expect(m.memory.getMemory({ userId: 'A' }, 'dị ứng').provenance).toEqual({ sessionId: 'sa', turnId: 't1' });

    runMemoryTool(tools, 'memorize_list', { key: 'hay mua', items: ['gạo', 'mắm'] }, customerA);
    expect(runMemoryTool(tools, 'memorize_list', { key: 'hay mua', items: ['mắm', 'đường'] }, customerA)).toMatchObject({ items: 3 });
    runMemoryTool(tools, 'memorize', { key: 'giỏ tạm', value: 'bia', scope: 'session' }, customerA);
    // The model stores flat values only (Gemini fills flat schemas reliably); staff store any JSON in the inspector.
    expect(() => runMemoryTool(tools, 'memorize', { key: 'x', value: { nested: ['bia'] } }, customerA)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(runMemoryTool(tools, 'get_memory', { key: 'giỏ tạm' }, { userId: 'A', sessionId: 'other' })).toMatchObject({ found: false });
    expect(runMemoryTool(tools, 'forget', { key: 'dị ứng' }, customerA)).toEqual({ forgotten: true, key: 'dị ứng' });
    expect(runMemoryTool(tools, 'get_memory', { key: 'dị ứng' }, customerA)).toMatchObject({ found: false });
    await m.shutdown();
  });
});

describe('memory channels', () => {
  it('serve the inspector through the dispatcher and reject bad input before any write', async () => {
    const services = await startServices(tempDir());
    const put = await services.dispatch('memory.put', { userId: 'c1', key: 'sở thích', value: { đồ_uống: 'trà đá' } }, call);
    expect(put).toMatchObject({ ok: true, value: { key: 'sở thích', tier: 'warm' } });
    expect(await services.dispatch('memory.get', { userId: 'c1', key: 'sở thích' }, call)).toMatchObject({
      ok: true,
      value: { value: { đồ_uống: 'trà đá' }, tier: 'hot' },
    });
    expect(await services.dispatch('memory.search', { userId: 'c1', query: 'tra da' }, call)).toMatchObject({
      ok: true,
      value: { hits: [{ ref: 'sở thích' }] },
    });
    expect(await services.dispatch('memory.list', { userId: 'c1', limit: 5 }, call)).toMatchObject({
      ok: true,
      value: { items: [{ key: 'sở thích' }], nextCursor: null },
    });
    for (const bad of [
      { userId: 'c1', key: '', value: 1 },
      { userId: 'c1', key: 'x'.repeat(257), value: 1 },
      { userId: 'c1', key: 'k' },
      { userId: 'c1', key: 'k', value: 1, extra: true },
    ]) {
      expect(await services.dispatch('memory.put', bad, call)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
    expect(await services.dispatch('memory.list', { tier: 'lukewarm' }, call)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await services.dispatch('memory.list', { limit: -1 }, call)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await services.dispatch('memory.get', { userId: 'c1', key: 'none' }, call)).toMatchObject({ ok: false, error: { code: 'not_found' } });

    const created = await services.dispatch('sessions.create', { userId: 'c1', sessionId: 's1', title: 'Quầy 1' }, call);
    expect(created).toMatchObject({ ok: true, value: { sessionId: 's1', eventCount: 0 } });
    services.memory!.sessions.appendEvent({ userId: 'c1', sessionId: 's1', event: { author: 'user', kind: 'message', content: 'chào' } });
    expect(await services.dispatch('sessions.history', { userId: 'c1', sessionId: 's1' }, call)).toMatchObject({
      ok: true,
      value: { events: [{ content: 'chào' }] },
    });
    expect(await services.dispatch('sessions.list', { userId: 'c1' }, call)).toMatchObject({
      ok: true,
      value: { sessions: [{ sessionId: 's1', eventCount: 1 }] },
    });
    expect(await services.dispatch('memory.runMaintenance', { task: 'cleanup' }, call)).toMatchObject({
      ok: true,
      value: { task: 'cleanup', trigger: 'manual' },
    });
    expect(await services.dispatch('memory.stats', {}, call)).toMatchObject({ ok: true, value: { tiers: { warm: { entries: 2 } } } });
    expect(await services.dispatch('memory.export', { userId: 'c1' }, call)).toMatchObject({ ok: true, value: { memories: [{ key: 'sở thích' }] } });
    expect(await services.dispatch('sessions.delete', { userId: 'c1', sessionId: 's1' }, call)).toMatchObject({
      ok: true,
      value: { sessions: 1, events: 1 },
    });
    expect(await services.dispatch('memory.forget', { userId: 'c1', key: 'sở thích' }, call)).toEqual({ ok: true, value: { deleted: true } });
    expect(await services.dispatch('memory.deleteCustomer', { userId: 'c1' }, call)).toMatchObject({ ok: true });
    await services.close();
  });

  it('answer storage_unavailable when the data file is damaged', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, DB_FILE_NAME), 'this is not a database, just text'.repeat(200));
    const services = await startServices(dir);
    expect(services.db).toBeNull();
    expect(services.memory).toBeNull();
    expect(await services.dispatch('memory.list', {}, call)).toMatchObject({ ok: false, error: { code: 'storage_unavailable' } });
    expect(await services.dispatch('sessions.create', { userId: 'c1' }, call)).toMatchObject({ ok: false, error: { code: 'storage_unavailable' } });
    await services.close();
  });
});
