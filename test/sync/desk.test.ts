import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MemoryValueView, SessionView, SummaryView } from '@shared/contract/memory';
import type { SyncStatus } from '@shared/contract/sync';
import { LOG_FILE_NAME } from '../../src/main/app/config';
import type { Hub } from '../../src/hub';
import { query } from '../hub/helpers';
import { startServices } from '../helpers/services';
import { tempDir } from '../helpers/tempDir';
import { deskState, enroll, hashOf, hubState, invoke, put, settled, status, syncTestBed, until } from './helpers';
import { testCipher } from '../helpers/testCipher';

const bed = syncTestBed();
const { desk, close } = bed;
let hub: Hub | null = null;
let databaseUrl: string;

async function freshHub(options: Parameters<typeof bed.freshHub>[0] = {}): Promise<Hub> {
  const started = await bed.freshHub(options);
  ({ databaseUrl } = started);
  hub = started.hub;
  return started.hub;
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a failure');
}

describe('what stays on the desk', () => {
  it('never sends session-scoped memories, conversation events or cart ids to the hub', async () => {
    await freshHub();
    const a = await desk();
    await enroll(a, hub!, 'Quầy 1');
    const session = await invoke<SessionView>(a, 'sessions.create', { userId: '0901234567', title: 'Mua sữa' });
    a.memory!.sessions.appendEvent({
      userId: '0901234567',
      sessionId: session.sessionId,
      event: { author: 'user', kind: 'message', content: 'tin nhắn riêng của cuộc trò chuyện' },
    });
    await put(a, '0901234567', 'giỏ đang chọn', 'bí mật của phiên', session.sessionId);
    a.db!.prepare('INSERT INTO commerce_carts (customer_id, store, cart_id, updated_at) VALUES (?, ?, ?, ?)').run(
      '0901234567',
      'demo',
      'cart-secret-1',
      1,
    );
    await put(a, '0901234567', 'dùng chung', 'được chia sẻ');
    await settled(a, databaseUrl);

    const everything = await query<{ text: string }>(
      databaseUrl,
      `SELECT string_agg(t::text, E'\\n') AS text FROM (
         SELECT to_jsonb(c) AS t FROM changes c UNION ALL SELECT to_jsonb(m) FROM memories m UNION ALL SELECT to_jsonb(s) FROM summaries s
         UNION ALL SELECT to_jsonb(u) FROM customers u UNION ALL SELECT to_jsonb(a) FROM audit a) x`,
    );
    const text = everything[0]!.text;
    expect(text).toContain('được chia sẻ');
    for (const kept of ['bí mật của phiên', 'giỏ đang chọn', 'tin nhắn riêng', 'cart-secret-1', session.sessionId]) expect(text).not.toContain(kept);
    expect(await query(databaseUrl, "SELECT kind FROM changes WHERE kind <> 'memory.put'")).toEqual([]);
  });

  it('shares the summary maintenance writes: the other desk lists it as a past conversation, with where it happened', async () => {
    await freshHub();
    const a = await desk();
    const b = await desk();
    await enroll(a, hub!, 'Quầy 1');
    await enroll(b, hub!, 'Quầy 2');
    const old = Date.now() - 10 * 86_400_000;
    a.memory!.sessions.createSession({ userId: 'kh-9', sessionId: 'cu', title: 'Lần trước' });
    for (const [offset, text] of ['Tôi muốn mua sữa tươi không đường', 'Tôi bị dị ứng đậu phộng'].entries()) {
      a.memory!.sessions.appendEvent({
        userId: 'kh-9',
        sessionId: 'cu',
        event: { author: 'user', kind: 'message', content: text, timestamp: old + offset },
      });
    }
    a.memory!.sessions.closeSession({ userId: 'kh-9', sessionId: 'cu' });
    const report = await invoke<{ summarized: number }>(a, 'memory.runMaintenance', { task: 'summarize' });
    expect(report.summarized).toBe(1);
    await settled(a, databaseUrl);
    await settled(b, databaseUrl);

    const { summaries } = await invoke<{ summaries: SummaryView[] }>(b, 'memory.summaries', { userId: 'kh-9' });
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.learnedAt).toMatchObject({ deskName: 'Quầy 1', store: 'b2c_10010_vi' });
    expect(summaries[0]!.summary.length).toBeGreaterThan(0);
    // Found by search like any summary, and the one the agent's context starts from.
    expect(b.memory!.memory.latestSummary('kh-9')?.summary).toBe(summaries[0]!.summary);
    // A's own copy is the summarized conversation itself: not duplicated by its echo.
    expect((await invoke<{ summaries: SummaryView[] }>(a, 'memory.summaries', { userId: 'kh-9' })).summaries).toHaveLength(1);
    expect((await query(databaseUrl, 'SELECT summary_id FROM summaries')).length).toBe(1);
  });
});

describe('enrolling, leaving, refusals', () => {
  it('refuses plain http to another machine, a bad code and an unreachable hub, each with a clear typed error', async () => {
    await freshHub();
    const a = await desk();
    const notLoopback = await failure(invoke(a, 'sync.enroll', { hubUrl: 'http://192.168.1.20:8787', code: 'ABCD-EFGH-JKLM' }));
    expect(notLoopback.code).toBe('invalid_request');
    expect(notLoopback.message).toMatch(/^sync\.enroll: invalid_request: hubUrl: .*https:\/\//);
    const withPath = await failure(invoke(a, 'sync.enroll', { hubUrl: 'https://hub.example.vn/sync', code: 'ABCD-EFGH-JKLM' }));
    expect(withPath.message).toContain('hubUrl');
    const malformed = await failure(invoke(a, 'sync.enroll', { hubUrl: hub!.url, code: 'not-a-code' }));
    expect(malformed.code).toBe('invalid_request');
    const wrong = await failure(invoke(a, 'sync.enroll', { hubUrl: hub!.url, code: 'abcd efgh jklm' }));
    expect(wrong.code).toBe('invalid_request');
    expect(wrong.message).toContain('code');
    const unreachable = await failure(invoke(a, 'sync.enroll', { hubUrl: 'http://127.0.0.1:1', code: 'ABCD-EFGH-JKLM' }));
    expect(unreachable.code).toBe('sync_unavailable');
    expect((await status(a)).enrolled).toBe(false);

    // A code works once.
    const code = await hub!.enroll('b2c_10010_vi', 'Quầy 1');
    expect((await invoke<SyncStatus>(a, 'sync.enroll', { hubUrl: hub!.url, code })).deskName).toBe('Quầy 1');
    const again = await failure(invoke(await desk(), 'sync.enroll', { hubUrl: hub!.url, code }));
    expect(again.code).toBe('invalid_request');
    expect((await failure(invoke(a, 'sync.enroll', { hubUrl: hub!.url, code }))).code).toBe('conflict');
  });

  it('shares what the desk kept before it joined, and after leaving keeps its data and shares nothing more', async () => {
    await freshHub();
    const a = await desk();
    await put(a, 'kh-1', 'có từ trước', 'đúng');
    await invoke(a, 'customers.save', { customerId: 'kh-1', displayName: 'Chị Mai' });
    await put(a, 'kh-1', 'của phiên', 'không', 'phien-1');
    expect(a.db!.prepare('SELECT count(*) FROM sync_outbox').pluck().get()).toBe(0);

    await enroll(a, hub!, 'Quầy 1');
    await settled(a, databaseUrl);
    expect(hashOf(await hubState(databaseUrl))).toBe(hashOf(deskState(a)));
    expect(Object.keys((await hubState(databaseUrl)).memories)).toEqual(['kh-1\u0000có từ trước']);

    const left = await invoke<SyncStatus>(a, 'sync.leave', {});
    expect(left).toMatchObject({ enrolled: false, hubUrl: null, pending: 0, online: false });
    expect(a.db!.prepare("SELECT count(*) FROM secrets WHERE name = 'sync_device_token'").pluck().get()).toBe(0);
    expect((await invoke<MemoryValueView>(a, 'memory.get', { userId: 'kh-1', key: 'có từ trước' })).value).toBe('đúng');
    await put(a, 'kh-1', 'sau khi rời', 'chỉ ở đây');
    expect(a.db!.prepare('SELECT count(*) FROM sync_outbox').pluck().get()).toBe(0);
    expect(Object.keys((await hubState(databaseUrl)).memories)).toHaveLength(1);
  });

  it('sets aside a change the hub refuses for good (over its quota) and pushes the others', async () => {
    await freshHub({ quotaBytesPerCustomer: 2_000 });
    const a = await desk();
    await enroll(a, hub!, 'Quầy 1');
    // Written while the push waits, so both go in one batch that the hub refuses whole.
    a.memory!.memory.memorize({ userId: 'kh-big' }, 'ghi chú dài', 'x'.repeat(3_000));
    a.memory!.memory.memorize({ userId: 'kh-small' }, 'ngắn', 'ok');
    await until(async () => (await status(a)).rejected === 1 && (await status(a)).pending === 0, 'the refused change set aside');
    const current = await status(a);
    expect(current.lastError?.code).toBe('changes_refused');
    expect(Object.keys((await hubState(databaseUrl)).memories)).toEqual(['kh-small\u0000ngắn']);
    // Still on the desk: the hub's quota is the hub's.
    expect((await invoke<MemoryValueView>(a, 'memory.get', { userId: 'kh-big', key: 'ghi chú dài' })).value).toHaveLength(3_000);
    // Erasing the customer takes the set-aside change with it.
    await invoke(a, 'memory.deleteCustomer', { userId: 'kh-big' });
    expect((await status(a)).rejected).toBe(0);
  });

  it('keeps on the desk the values the hub cannot take (over 512 KB, nested deeper than 64), and shares the others', async () => {
    await freshHub();
    const a = await desk();
    await enroll(a, hub!, 'Quầy 1');
    const nested = (levels: number): unknown => {
      let value: unknown = 'đáy';
      for (let level = 0; level < levels; level++) value = level % 2 ? [value] : { tầng: value };
      return value;
    };
    await put(a, 'kh-1', 'rất dài', 'x'.repeat(600 * 1024));
    // Deeper than a request may carry (the dispatcher's bound): as the agent's tools write, straight to memory.
    a.memory!.memory.memorize({ userId: 'kh-1' }, 'rất sâu', nested(65));
    a.memory!.memory.memorize({ userId: 'kh-1' }, 'vừa sâu', nested(64));
    await put(a, 'kh-1', 'bình thường', 'ok');
    await settled(a, databaseUrl);
    expect(Object.keys((await hubState(databaseUrl)).memories).sort()).toEqual(['kh-1\u0000bình thường', 'kh-1\u0000vừa sâu']);
    expect(await status(a)).toMatchObject({ pending: 0, rejected: 0, lastError: null });
    expect(a.memory!.memory.getMemory({ userId: 'kh-1' }, 'rất sâu').value).toEqual(nested(65));
  });

  it('without a hub works as before: nothing is recorded, the status says not enrolled', async () => {
    const dir = tempDir();
    const plain = await startServices(dir);
    bed.track(plain);
    await put(plain, '0901234567', 'thích', 'trà');
    await invoke(plain, 'memory.forget', { userId: '0901234567', key: 'thích' });
    await invoke(plain, 'customers.save', { customerId: '0901234567', displayName: 'Chị Lan' });
    await invoke(plain, 'memory.deleteCustomer', { userId: '0901234567' });
    const counts = plain.db!.prepare(
      `SELECT (SELECT count(*) FROM sync_outbox) + (SELECT count(*) FROM sync_tombstones) + (SELECT count(*) FROM sync_erasures) + (SELECT count(*) FROM sync_state)`,
    );
    expect(counts.pluck().get()).toBe(0);
    expect(await status(plain)).toMatchObject({
      enrolled: false,
      hubUrl: null,
      deskName: null,
      store: null,
      online: false,
      lastSyncAt: null,
      pending: 0,
      rejected: 0,
      lastError: null,
    });
    expect((await invoke<SyncStatus>(plain, 'sync.now', {})).enrolled).toBe(false);
  });

  it('keeps the device token and customer data out of the log', async () => {
    await freshHub();
    const dir = tempDir();
    const a = await desk(dir);
    await enroll(a, hub!, 'Quầy 1');
    await put(a, '0987654321', 'khoá riêng tư', 'giá trị riêng tư');
    await settled(a, databaseUrl);
    await hub!.close();
    hub = null;
    await until(async () => (await status(a)).online === false, 'the desk to see the hub gone');
    await put(a, '0987654321', 'khoá thứ hai', 'giá trị thứ hai');
    const token = testCipher.decryptString(a.db!.prepare("SELECT ciphertext FROM secrets WHERE name = 'sync_device_token'").pluck().get() as Buffer);
    expect(token.length).toBeGreaterThan(16);
    await close(a);
    const log = fs.readFileSync(path.join(dir, LOG_FILE_NAME), 'utf8');
    expect(log).toContain('desk enrolled with the sync hub');
    expect(log).toContain('the sync hub is unreachable');
    for (const secret of [token, '0987654321', 'khoá riêng tư', 'giá trị riêng tư', 'khoá thứ hai']) expect(log).not.toContain(secret);
  });
});
