import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TurnUsageRecord } from '../../src/main/agent/runner';
import { createUsageHandlers } from '../../src/main/agent/usageHandlers';
import { SqliteUsageRecorder } from '../../src/main/agent/usageStore';
import { createDispatch, type Handlers } from '../../src/main/core/dispatch';
import type { Services } from '../../src/main/app/services';
import { openDatabase, type Db } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import type { ChatEvent, ChatSendResult } from '@shared/contract/chat';
import type { HistoryPage } from '@shared/contract/memory';
import type { UsageReport } from '@shared/contract/usage';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';

const test = { transport: 'test' } as const;

const opened: Db[] = [];
let services: Services | null = null;
afterEach(async () => {
  for (const db of opened.splice(0)) if (db.open) db.close();
  await services?.close();
  services = null;
});

function openDb(file: string, upTo = migrations.length): Db {
  const { db } = openDatabase(file, migrations.slice(0, upTo));
  opened.push(db);
  return db;
}

let runs = 0;
function turn(userId: string, sessionId: string, startedAt: number, counts: Partial<TurnUsageRecord> & { cachedTokens?: number } = {}) {
  runs += 1;
  return {
    runId: `00000000-0000-4000-8000-${String(runs).padStart(12, '0')}`,
    userId,
    sessionId,
    provider: 'gemini' as const,
    model: 'gemini-3.6-flash',
    status: 'completed' as const,
    modelCalls: 1,
    promptTokens: 100,
    outputTokens: 10,
    cachedTokens: 0,
    totalTokens: 110,
    estimated: false,
    startedAt,
    finishedAt: startedAt + 1,
    ...counts,
  };
}

/** The usage channel alone on the real dispatcher, with a fixed clock. */
function usageDispatch(recorder: SqliteUsageRecorder | null, now: number) {
  const dispatch = createDispatch(createUsageHandlers(recorder, () => now) as Handlers);
  return async (request: unknown) => dispatch('usage.get', request, test);
}

describe('usage.get', () => {
  it('reports per turn and per conversation, and today over every customer by the local day', async () => {
    const db = openDb(path.join(tempDir(), 'usage.sqlite'));
    const recorder = new SqliteUsageRecorder(db);
    const now = new Date(2026, 10, 23, 15, 30).getTime();
    const midnight = new Date(2026, 10, 23).getTime();
    const turns = [
      turn('kh-001', 's1', midnight - 1, { promptTokens: 5000, outputTokens: 500, totalTokens: 5500, cachedTokens: 4000, modelCalls: 3 }),
      turn('kh-001', 's1', midnight, { promptTokens: 1200, outputTokens: 300, totalTokens: 1500, cachedTokens: 1000, modelCalls: 2 }),
      turn('kh-001', 's2', now - 60_000),
      turn('kh-002', 's1', now, {
        provider: 'offline',
        model: 'gemini-3.6-flash',
        estimated: true,
        promptTokens: 40,
        outputTokens: 8,
        totalTokens: 48,
      }),
      turn('kh-002', 's1', new Date(2026, 10, 24).getTime()),
    ];
    for (const row of turns) recorder.record(row);
    const call = usageDispatch(recorder, now);

    const conversation = await call({ userId: 'kh-001', sessionId: 's1' });
    expect(conversation.ok).toBe(true);
    const report = (conversation as { value: UsageReport }).value;
    expect(report.conversation).toEqual({
      userId: 'kh-001',
      sessionId: 's1',
      turns: [
        {
          runId: turns[0]!.runId,
          startedAt: midnight - 1,
          provider: 'gemini',
          model: 'gemini-3.6-flash',
          status: 'completed',
          promptTokens: 5000,
          outputTokens: 500,
          cachedTokens: 4000,
          totalTokens: 5500,
          modelCalls: 3,
          estimated: false,
        },
        expect.objectContaining({ runId: turns[1]!.runId, startedAt: midnight, promptTokens: 1200, cachedTokens: 1000, totalTokens: 1500 }),
      ],
      total: { turns: 2, modelCalls: 5, promptTokens: 6200, outputTokens: 800, cachedTokens: 5000, totalTokens: 7000, estimated: false },
    });
    // Today: from local midnight (inclusive) to the next (exclusive), every customer.
    expect(report.today).toEqual({
      since: midnight,
      turns: 3,
      modelCalls: 4,
      promptTokens: 1200 + 100 + 40,
      outputTokens: 300 + 10 + 8,
      cachedTokens: 1000,
      totalTokens: 1500 + 110 + 48,
      estimated: true,
    });

    // Without a conversation: today only.
    const todayOnly = await call({});
    expect(todayOnly).toEqual({ ok: true, value: { conversation: null, today: report.today } });

    // A conversation with no recorded turn: zeros, not an error.
    expect(await call({ userId: 'kh-003', sessionId: 's1' })).toMatchObject({
      ok: true,
      value: { conversation: { turns: [], total: { turns: 0, totalTokens: 0, estimated: false } } },
    });

    // The next day starts from zero.
    const tomorrow = await usageDispatch(recorder, new Date(2026, 10, 24, 9).getTime())({});
    expect(tomorrow).toMatchObject({ ok: true, value: { today: { since: new Date(2026, 10, 24).getTime(), turns: 1, totalTokens: 110 } } });
  });

  it('refuses malformed requests with invalid_request', async () => {
    const db = openDb(path.join(tempDir(), 'usage.sqlite'));
    const call = usageDispatch(new SqliteUsageRecorder(db), Date.now());
    for (const request of [
      { userId: 'kh-001' },
      { sessionId: 's1' },
      { userId: '', sessionId: 's1' },
      { userId: 'kh-001', sessionId: 'x'.repeat(129) },
      { userId: 'kh-001', sessionId: 's1', day: 'today' },
      { userId: 42, sessionId: 's1' },
      [],
      'usage',
    ]) {
      const result = await call(request);
      expect(result, JSON.stringify(request)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
  });

  it('answers storage_unavailable without a data file', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'mm-assistant.sqlite'), 'not a database at all '.repeat(100));
    services = await startServices(dir);
    expect(services.db).toBeNull();
    expect(await services.dispatch('usage.get', {}, test)).toMatchObject({ ok: false, error: { code: 'storage_unavailable' } });
    expect(await usageDispatch(null, Date.now())({ userId: 'kh-001', sessionId: 's1' })).toMatchObject({
      ok: false,
      error: { code: 'storage_unavailable' },
    });
  });

  it('keeps turns recorded before cached tokens were counted (migration 5)', async () => {
    const file = path.join(tempDir(), 'usage.sqlite');
    const old = openDb(file, 4);
    old.prepare(`INSERT INTO memory_sessions (user_id, session_id, created_at) VALUES ('kh-001', 's1', ?)`).run(Date.now());
    // A usage row whose conversation was deleted before migration 5 (it holds a customer id) goes.
    old
      .prepare(
        `INSERT INTO agent_turn_usage (run_id, user_id, session_id, provider, model, status, model_calls, prompt_tokens,
           output_tokens, total_tokens, estimated, started_at, finished_at)
         VALUES ('orphan', 'kh-erased', 'gone', 'gemini', 'gemini-2.5-flash', 'completed', 1, 1, 1, 2, 0, ?, ?)`,
      )
      .run(Date.now(), Date.now());
    old
      .prepare(
        `INSERT INTO agent_turn_usage (run_id, user_id, session_id, provider, model, status, model_calls, prompt_tokens,
           output_tokens, total_tokens, estimated, started_at, finished_at)
         VALUES ('old-run', 'kh-001', 's1', 'gemini', 'gemini-2.5-flash', 'completed', 2, 900, 100, 1000, 0, ?, ?)`,
      )
      .run(Date.now(), Date.now());
    old.close();

    const db = openDb(file);
    const recorder = new SqliteUsageRecorder(db);
    recorder.record(turn('kh-001', 's1', Date.now(), { cachedTokens: 64 }));
    expect(recorder.forSession('kh-001', 's1').map((row) => [row.runId === 'old-run', row.cachedTokens])).toEqual([
      [true, 0],
      [false, 64],
    ]);
    expect(recorder.totalForSession('kh-001', 's1')).toMatchObject({ turns: 2, promptTokens: 1000, cachedTokens: 64, totalTokens: 1110 });
    expect(db.prepare(`SELECT count(*) AS n FROM agent_turn_usage WHERE user_id = 'kh-erased'`).get()).toEqual({ n: 0 });
  });

  it('is wired in the services: a run’s usage is listed under the turn id of its session events', async () => {
    services = await startServices(tempDir(), { settingsOverrides: { demoStore: true } });
    const finished = new Promise<ChatEvent>((resolve) =>
      services!.events.subscribe((name, payload) => {
        if (name === 'chat.event' && (payload as ChatEvent).type === 'done') resolve(payload as ChatEvent);
      }),
    );
    const sent = await services.dispatch('chat.send', { userId: 'kh-001', message: 'tìm sữa tươi', runId: crypto.randomUUID() }, test);
    expect(sent.ok).toBe(true);
    const { runId, sessionId } = (sent as { value: ChatSendResult }).value;
    expect((await finished).runId).toBe(runId);

    const result = await services.dispatch('usage.get', { userId: 'kh-001', sessionId }, test);
    expect(result.ok).toBe(true);
    const report = (result as { value: UsageReport }).value;
    expect(report.conversation!.turns).toHaveLength(1);
    expect(report.conversation!.turns[0]).toMatchObject({ runId, provider: 'offline', estimated: true, status: 'completed' });
    expect(report.conversation!.turns[0]!.totalTokens).toBeGreaterThan(0);
    expect(report.conversation!.total).toMatchObject({ turns: 1, totalTokens: report.conversation!.turns[0]!.totalTokens });
    expect(report.today.turns).toBeGreaterThanOrEqual(1);
    expect(report.today.totalTokens).toBeGreaterThanOrEqual(report.conversation!.total.totalTokens);

    const history = await services.dispatch('sessions.history', { userId: 'kh-001', sessionId, limit: 200 }, test);
    const turnIds = new Set((history as { value: HistoryPage }).value.events.map((event) => event.turnId));
    expect([...turnIds]).toEqual([runId]);

    for (const request of [{ userId: 'kh-001' }, { userId: 'kh-001', sessionId, extra: true }]) {
      expect(await services.dispatch('usage.get', request, test)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }

    // Erasing the customer erases their usage rows too (they carry the customer's id).
    expect(await services.dispatch('memory.deleteCustomer', { userId: 'kh-001' }, test)).toMatchObject({ ok: true });
    const after = (await services.dispatch('usage.get', { userId: 'kh-001', sessionId }, test)) as { value: UsageReport };
    expect(after.value.conversation!.turns).toEqual([]);
    expect(services.db!.prepare(`SELECT count(*) AS n FROM agent_turn_usage WHERE user_id = 'kh-001'`).get()).toEqual({ n: 0 });
  });
});
