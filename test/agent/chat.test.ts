import { randomUUID } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { TOOL_NAMES } from '@shared/agentNames';
import type { ChatEvent, ChatSendResult } from '@shared/contract/chat';
import type { HistoryPage } from '@shared/contract/memory';
import { productsToolResultSchemas, toolProducts } from '@shared/contract/toolResults';
import { createProductTools } from '../../src/main/agent/tools/productTools';
import type { ToolContext } from '../../src/main/agent/tool';
import { unwrap } from '../../src/main/core/dispatch';
import type { Services } from '../../src/main/app/services';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { startHarness, type AgentHarness } from './harness';

describe('chat through the composition root (demo store, offline planner)', () => {
  let services: Services | null = null;
  afterEach(async () => {
    await services?.close();
    services = null;
  });

  function collect(target: Services): { events: ChatEvent[]; done: (runId: string) => Promise<ChatEvent[]> } {
    const events: ChatEvent[] = [];
    const waiters = new Map<string, () => void>();
    target.events.subscribe((name, payload) => {
      if (name !== 'chat.event') return;
      const event = payload as ChatEvent;
      events.push(event);
      if (event.type === 'done') waiters.get(event.runId)?.();
    });
    return {
      events,
      done: (runId) =>
        events.some((event) => event.runId === runId && event.type === 'done')
          ? Promise.resolve(events.filter((event) => event.runId === runId))
          : new Promise((resolve) => waiters.set(runId, () => resolve(events.filter((event) => event.runId === runId)))),
    };
  }

  it('sends, streams events in order with the run id, records usage and pages the history', async () => {
    services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    const bus = collect(services);
    const runId = randomUUID();
    const sent = unwrap(
      await services.dispatch('chat.send', { userId: 'kh-001', message: 'tìm sữa tươi', runId }, { transport: 'test' }),
    ) as ChatSendResult;
    expect(sent).toMatchObject({ runId, mode: 'offline' });
    const events = await bus.done(sent.runId);
    expect(events.map((event) => event.seq)).toEqual(events.map((_event, index) => index));
    expect(events.every((event) => event.sessionId === sent.sessionId && event.userId === 'kh-001')).toBe(true);
    expect(events.map((event) => event.type).filter((type) => type !== 'text')).toEqual([
      'started',
      'tool_call',
      'tool_result',
      'transfer',
      'tool_call',
      'tool_result',
      'usage',
      'done',
    ]);
    expect(events.filter((event) => event.type === 'text').length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'completed' });
    expect(services.agent!.usage.forSession('kh-001', sent.sessionId)).toMatchObject([{ provider: 'offline', estimated: true, status: 'completed' }]);

    // The search's result is the contract's shape for it.
    const search = events.find((event) => event.type === 'tool_result' && event.name === TOOL_NAMES.searchProducts);
    expect(search?.type === 'tool_result' && productsToolResultSchemas.search_products.safeParse(search.result).success).toBe(true);

    const page = unwrap(
      await services.dispatch('sessions.history', { userId: 'kh-001', sessionId: sent.sessionId, limit: 3 }, { transport: 'test' }),
    ) as HistoryPage;
    expect(page.events).toHaveLength(3);
    expect(page.nextCursor).not.toBeNull();
    const older = unwrap(
      await services.dispatch(
        'sessions.history',
        { userId: 'kh-001', sessionId: sent.sessionId, limit: 50, before: page.nextCursor! },
        { transport: 'test' },
      ),
    ) as HistoryPage;
    expect(older.events[0]).toMatchObject({ author: 'user', kind: 'message', content: { text: 'tìm sữa tươi' } });
  });

  it('refuses a run id used before the app restarted: the first run’s token use stays its own', async () => {
    const dir = tempDir();
    services = await startServices(dir, { settingsOverrides: { demoStore: true } });
    const runId = randomUUID();
    const first = unwrap(
      await services.dispatch('chat.send', { userId: 'kh-001', message: 'tìm sữa tươi', runId }, { transport: 'test' }),
    ) as ChatSendResult;
    await services.agent!.chat.settled(runId);
    const recorded = services.agent!.usage.forSession('kh-001', first.sessionId);
    expect(recorded).toHaveLength(1);
    await services.close();

    services = await startServices(dir, { settingsOverrides: { demoStore: true } });
    const again = await services.dispatch(
      'chat.send',
      { userId: 'kh-001', sessionId: first.sessionId, message: 'tìm bia', runId },
      { transport: 'test' },
    );
    expect(again).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(services.agent!.usage.forSession('kh-001', first.sessionId)).toEqual(recorded);
  });

  it('validates requests before anything runs', async () => {
    services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    const empty = await services.dispatch('chat.send', { userId: 'kh-001', message: '  ', runId: randomUUID() }, { transport: 'test' });
    expect(empty).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    for (const runId of [undefined, 'run-1', '', randomUUID().toUpperCase().replace(/-/g, '')]) {
      const refused = await services.dispatch(
        'chat.send',
        { userId: 'kh-001', message: 'hi', ...(runId === undefined ? {} : { runId }) },
        { transport: 'test' },
      );
      expect(refused, `run id ${String(runId)}`).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
    const missing = await services.dispatch(
      'chat.send',
      { userId: 'kh-001', sessionId: 'nope', message: 'hi', runId: randomUUID() },
      { transport: 'test' },
    );
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await services.dispatch('chat.history', { userId: 'kh-001', sessionId: 'nope' }, { transport: 'test' })).toMatchObject({
      ok: false,
      error: { code: 'unknown_channel' },
    });
    expect(unwrap(await services.dispatch('sessions.list', { userId: 'kh-001' }, { transport: 'test' }))).toEqual({ sessions: [] });
    const cancel = await services.dispatch('chat.cancel', { runId: '00000000-0000-4000-8000-000000000000' }, { transport: 'test' });
    expect(cancel).toEqual({ ok: true, value: { cancelled: false } });
    const status = await services.dispatch('chat.status', { runId: '00000000-0000-4000-8000-000000000000' }, { transport: 'test' });
    expect(status).toEqual({ ok: true, value: { running: false } });
    expect(await services.dispatch('chat.status', { runId: 'run-1' }, { transport: 'test' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });
  });

  it('uses Gemini once a key is set, with the endpoint from GEMINI_BASE_URL', async () => {
    const { startGeminiStandin } = await import('../helpers/geminiStandin');
    const gemini = await startGeminiStandin({ apiKey: 'AIzaSy-test-key-0123456789' });
    try {
      services = await startServices(tempDir(), { settingsOverrides: { demoStore: true }, env: { GEMINI_BASE_URL: gemini.baseUrl } });
      unwrap(await services.dispatch('settings.setApiKey', { apiKey: 'AIzaSy-test-key-0123456789' }, { transport: 'test' }));
      gemini.enqueue({ expect: { tools: ['memorize', 'transfer_to_agent'] }, reply: { text: 'Xin chào từ Gemini' } });
      const bus = collect(services);
      const sent = unwrap(
        await services.dispatch('chat.send', { userId: 'kh-001', message: 'xin chào', runId: randomUUID() }, { transport: 'test' }),
      ) as ChatSendResult;
      expect(sent.mode).toBe('gemini');
      const events = await bus.done(sent.runId);
      expect(events.at(-1)).toMatchObject({ type: 'done', status: 'completed', text: 'Xin chào từ Gemini' });
      expect(services.agent!.usage.forSession('kh-001', sent.sessionId)).toMatchObject([{ provider: 'gemini', estimated: false }]);
      expect(JSON.stringify(events)).not.toContain('AIzaSy-test-key');
      const declared = JSON.stringify(gemini.requests[0]!.body.tools);
      expect(declared).toContain('"memorize"');
      expect(declared).not.toContain('propertyNames');
    } finally {
      await services?.close();
      services = null;
      await gemini.close();
    }
  });
});

describe('chat service', () => {
  let h: AgentHarness;
  afterEach(() => h.close());

  it('refuses a second send to a busy session, cancels on request and on close', async () => {
    h = await startHarness();
    h.session('kh-001', 's1');
    const seen: ChatEvent[] = [];
    h.agent.chat.events.on('runEvent', (event) => seen.push(event));
    h.store.setFaults({ latencyMs: 60_000 });
    const chat = h.agent.chat;
    const first = await chat.send({ userId: 'kh-001', sessionId: 's1', message: 'tìm nước suối', runId: randomUUID() });
    expect(h.agent.runner.isBusy({ userId: 'kh-001', sessionId: 's1' })).toBe(true);
    await expect(chat.send({ userId: 'kh-001', sessionId: 's1', message: 'xem giỏ hàng', runId: randomUUID() })).rejects.toMatchObject({
      code: 'busy',
    });
    // A run id in use is refused, for this session or any other (and before a new session is made for it).
    h.session('kh-001', 's2');
    await expect(chat.send({ userId: 'kh-001', sessionId: 's2', message: 'xem giỏ hàng', runId: first.runId })).rejects.toMatchObject({
      code: 'conflict',
    });
    const sessionsBefore = h.memory.sessions.listSessions({ userId: 'kh-002' }).length;
    await expect(chat.send({ userId: 'kh-002', message: 'xin chào', runId: first.runId })).rejects.toMatchObject({ code: 'conflict' });
    expect(h.memory.sessions.listSessions({ userId: 'kh-002' })).toHaveLength(sessionsBefore);
    expect(chat.activeRuns).toBe(1);
    expect(chat.status(first.runId)).toEqual({ running: true });
    expect(chat.cancel(first.runId)).toEqual({ cancelled: true });
    await chat.settled(first.runId);
    // Ended: its last event has gone out, so a window that missed it learns the run is over.
    expect(chat.status(first.runId)).toEqual({ running: false });
    expect(seen.filter((event) => event.runId === first.runId).at(-1)).toMatchObject({ type: 'done', status: 'cancelled' });
    expect(chat.cancel(first.runId)).toEqual({ cancelled: false });
    // ... and so is one whose run has ended.
    await expect(chat.send({ userId: 'kh-001', sessionId: 's1', message: 'hi', runId: first.runId })).rejects.toMatchObject({ code: 'conflict' });

    const second = await chat.send({ userId: 'kh-001', sessionId: 's1', message: 'tìm nước khoáng', runId: randomUUID() });
    await h.agent.close();
    expect(seen.filter((event) => event.runId === second.runId).at(-1)).toMatchObject({ type: 'done', status: 'cancelled' });
    expect(chat.activeRuns).toBe(0);
    expect(h.agent.runner.isBusy({ userId: 'kh-001', sessionId: 's1' })).toBe(false);
    await expect(chat.send({ userId: 'kh-001', sessionId: 's1', message: 'hi', runId: randomUUID() })).rejects.toMatchObject({ code: 'closed' });
    h.store.setFaults({});
  });

  it('leaves no timers, listeners or extra sockets after 1,000 runs', async () => {
    h = await startHarness();
    h.session('kh-001', 's1');
    const shared = new AbortController();
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const say = async (message: string) => {
      for await (const event of h.agent.runner.run({ userId: 'kh-001', sessionId: 's1', message, signal: shared.signal })) void event;
    };
    await say('xem giỏ hàng');
    const baseline = { timers: timers(), sockets: h.commerce.transport.openSockets() };
    for (let i = 0; i < 1000; i++)
      await say(i % 4 === 0 ? 'xem giỏ hàng' : i % 4 === 1 ? 'xin chào' : i % 4 === 2 ? 'khách thích gì?' : `nhớ rằng ghi chú số ${i % 8}`);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(h.agent.runner.activeRuns).toBe(0);
    expect(timers()).toBeLessThanOrEqual(baseline.timers);
    expect(h.commerce.transport.openSockets()).toBeLessThanOrEqual(Math.max(1, baseline.sockets));
  });
});

describe('product tool results', () => {
  let services: Services | null = null;
  afterEach(async () => {
    await services?.close();
    services = null;
  });

  it('have the shapes the contract declares, which the renderer reads by tool name', async () => {
    services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    const tools = createProductTools(services.commerce);
    const context: ToolContext = {
      userId: 'kh-001',
      sessionId: 's1',
      runId: randomUUID(),
      agentName: 'product_agent',
      language: 'vi',
      signal: new AbortController().signal,
      runState: new Map(),
    };
    const found = await tools.search.execute({ query: 'sữa tươi', limit: 3 }, context);
    const skus = toolProducts(tools.search.name, found)!.products.map((product) => product.sku);
    expect(skus.length).toBeGreaterThanOrEqual(2);
    const results = {
      [tools.search.name]: found,
      [tools.details.name]: await tools.details.execute({ sku: skus[0] }, context),
      [tools.compare.name]: await tools.compare.execute({ skus: skus.slice(0, 2) }, context),
      [tools.ingredients.name]: await tools.ingredients.execute({ dish: 'bữa sáng', ingredients: ['sữa tươi', 'bánh mì'] }, context),
    };
    expect(Object.keys(results).sort()).toEqual(Object.keys(productsToolResultSchemas).sort());
    for (const [name, result] of Object.entries(results)) {
      const parsed = productsToolResultSchemas[name as keyof typeof productsToolResultSchemas].safeParse(result);
      expect(parsed.success, `${name}: ${parsed.error?.message ?? ''}`).toBe(true);
      expect(toolProducts(name, result)?.products.length, name).toBeGreaterThan(0);
    }
    expect(toolProducts(tools.details.name, results[tools.details.name])!.products[0]).not.toHaveProperty('description');
    // Other tools and other shapes carry no products.
    expect(toolProducts(TOOL_NAMES.getCart, { lines: [], totalQuantity: 0, grandTotal: 0 })).toBeNull();
    expect(toolProducts(TOOL_NAMES.searchProducts, { error: { code: 'timeout', message: 'x' } })).toBeNull();
  });
});
