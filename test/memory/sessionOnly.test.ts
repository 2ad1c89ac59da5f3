/**
 * A memory kept "only for this conversation" (session-scoped: the agent's `memorize` /
 * `memorize_list` with `scope: 'session'`, or staff through the memory API with a session id) must
 * not reach the conversation's summary, which later conversations, the customer profile and other
 * desks (through the sync hub) see. The archived transcript keeps every event.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from '@shared/settings';
import type { SessionEvent, SummaryRecord } from '@shared/contract/memory';
import { foldAccents } from '@shared/text';
import type { ChangeFeed, SharedSummary } from '../../src/main/memory/changeFeed';
import { createMemory, limitsFromQuotas } from '../../src/main/memory';
import {
  SESSION_ONLY_SUMMARY,
  redactSessionOnly,
  sessionOnlyTexts,
  withoutSessionMemorizing,
  withoutSessionOnlySentences,
} from '../../src/main/memory/sessionOnly';
import { ExtractiveSummarizer, type Conversation, type Summarizer } from '../../src/main/memory/summarizer';
import { createMemoryTools, runMemoryTool } from '../../src/main/memory/tools';
import { openDatabase } from '../../src/main/storage/database';
import { migrations } from '../../src/main/storage/migrations';
import { tempDir } from '../helpers/tempDir';
import { DAY, ManualClock } from './helpers';

const NOW = Date.UTC(2026, 0, 20, 8, 0, 0);

function event(partial: Partial<SessionEvent> & Pick<SessionEvent, 'kind' | 'content'>): SessionEvent {
  return { id: `e${Math.random()}`, author: 'mm_assistant', turnId: 'run-1', timestamp: 1, ...partial };
}

function call(id: string | null, name: string, args: Record<string, unknown>): SessionEvent {
  return event({ kind: 'tool_call', content: { id, name, args: args as never } });
}

function result(id: string | null, name: string, response: Record<string, unknown>): SessionEvent {
  return event({ kind: 'tool_result', content: { id, name, response: response as never } });
}

describe('sessionOnlyTexts', () => {
  it('takes the values of session-scoped memorize calls and of the stored session memories, nothing else', () => {
    const events = [
      event({ author: 'user', kind: 'message', content: { text: 'Giao tới 12 Nguyễn Trãi' } }),
      call('c1', 'memorize', { key: 'địa chỉ lần này', value: '  Giao tới 12 Nguyễn Trãi ', scope: 'session' }),
      call('c2', 'memorize_list', { key: 'giỏ tạm', items: ['bánh mì Kinh Đô', 'bia', 7, true], mode: 'append', scope: 'session' }),
      // Customer-wide (explicitly, or by the tool's default): kept for later visits, so not session-only.
      call('c3', 'memorize', { key: 'sữa', value: 'sữa tươi không đường', scope: 'customer' }),
      call('c4', 'memorize', { key: 'giờ giao', value: 'sau 5 giờ chiều' }),
      call('c5', 'get_memory', { key: 'tạm', scope: 'session' }),
      result('c1', 'memorize', { saved: true, key: 'địa chỉ lần này', tier: 'warm' }),
    ];
    const stored = [
      'Mã cổng là 4417#',
      { ghi: 'Gọi chị Hoa trước khi giao', số: 3, ngắn: 'ok' },
      ['Lan', 'nước mắm Nam Ngư'],
      42,
      null,
      'Giao tới 12 Nguyễn Trãi',
    ];
    expect(sessionOnlyTexts(events, stored)).toEqual([
      'Giao tới 12 Nguyễn Trãi',
      'bánh mì Kinh Đô',
      'Mã cổng là 4417#',
      'Gọi chị Hoa trước khi giao',
      'nước mắm Nam Ngư',
    ]);
  });

  it('is empty for a conversation that kept nothing for itself', () => {
    expect(sessionOnlyTexts([call('c1', 'memorize', { key: 'sữa', value: 'sữa tươi' })], [])).toEqual([]);
  });
});

describe('withoutSessionMemorizing', () => {
  it('drops the session-scoped memorize calls and their results, matched by call id, and keeps the rest in order', () => {
    const message = event({ author: 'user', kind: 'message', content: { text: 'Lần này giao tới 12 Nguyễn Trãi' } });
    const sessionCall = call('mm-call-run-1-0-0', 'memorize', { key: 'địa chỉ', value: 'Giao tới 12 Nguyễn Trãi', scope: 'session' });
    const customerCall = call('mm-call-run-1-0-1', 'memorize', { key: 'sữa', value: 'sữa tươi' });
    const listCall = call('mm-call-run-1-0-2', 'memorize_list', { key: 'giỏ', items: ['bia'], scope: 'session' });
    const sessionResult = result('mm-call-run-1-0-0', 'memorize', { saved: true, key: 'địa chỉ', tier: 'warm' });
    const customerResult = result('mm-call-run-1-0-1', 'memorize', { saved: true, key: 'sữa', tier: 'warm' });
    const listResult = result('mm-call-run-1-0-2', 'memorize_list', { saved: true, key: 'giỏ', items: 1 });
    const answer = event({ kind: 'message', content: { text: 'Dạ, em ghi nhớ rồi.' } });
    const events = [message, sessionCall, customerCall, listCall, sessionResult, customerResult, listResult, answer];
    expect(withoutSessionMemorizing(events)).toEqual([message, customerCall, customerResult, answer]);
  });

  it('pairs a call stored without an id with the next result of the same tool without one', () => {
    const sessionCall = call(null, 'memorize', { key: 'tạm', value: 'bia Tiger', scope: 'session' });
    const otherCall = call(null, 'memorize', { key: 'sữa', value: 'sữa tươi' });
    const first = result(null, 'memorize', { saved: true, key: 'tạm', tier: 'warm' });
    const second = result(null, 'memorize', { saved: true, key: 'sữa', tier: 'warm' });
    expect(withoutSessionMemorizing([sessionCall, otherCall, first, second])).toEqual([otherCall, second]);
  });
});

describe('withoutSessionOnlySentences', () => {
  it('takes the sentences carrying a session-only text out of the messages, and a message left empty out of the conversation', () => {
    const mixed = event({ author: 'user', kind: 'message', content: { text: 'Lan nay giao toi 12 nguyen trai nhe. Tôi thích sữa tươi.' } });
    const only = event({ author: 'user', kind: 'message', content: 'Mã cổng là 4417#.' });
    const other = event({ author: 'user', kind: 'message', content: { text: 'Cho 2 thùng Lavie.' } });
    const toolCall = call('c1', 'search_products', { query: 'Nguyễn Trãi' });
    const kept = withoutSessionOnlySentences([mixed, only, other, toolCall], ['Giao tới 12 Nguyễn Trãi', 'Mã cổng là 4417#']);
    expect(kept).toEqual([{ ...mixed, content: { text: 'Tôi thích sữa tươi.' } }, other, toolCall]);
    expect(withoutSessionOnlySentences([mixed, only], [])).toEqual([mixed, only]);
  });
});

describe('redactSessionOnly', () => {
  const record: SummaryRecord = {
    summary: '4 messages in session s1; the customer started with: "Lan nay giao toi 12 nguyen trai nhe."; 1 preference(s); 2 fact(s)',
    key_facts: ['Lần này giao tới 12 NGUYỄN TRÃI nhé.', 'Cho 2 thùng sữa tươi.', 'Hôm nay lấy thêm bánh mì Kinh Đô'],
    user_preferences: { thich: 'Tôi thích sữa tươi không đường.', 'ma cong': '4417#', 'đi ứng': 'Dị ứng với nước mắm Nam Ngư.' },
    important_events: ['tool_call: add_to_cart {"sku":"LAVIE","qty":3}', 'tool_call: memorize {"value":"banh mi kinh do"}'],
    timestamp: '2026-01-10T08:00:00.000Z',
  };

  it('takes out every fact, preference, event and summary clause carrying a session-only text, accents and case aside', () => {
    const redacted = redactSessionOnly(record, ['Giao tới 12 Nguyễn Trãi', 'bánh mì Kinh Đô', 'Mã cổng', 'nước mắm nam ngư']);
    expect(redacted).toEqual({
      summary: '4 messages in session s1; 1 preference(s); 2 fact(s)',
      key_facts: ['Cho 2 thùng sữa tươi.'],
      user_preferences: { thich: 'Tôi thích sữa tươi không đường.' },
      important_events: ['tool_call: add_to_cart {"sku":"LAVIE","qty":3}'],
      timestamp: record.timestamp,
    });
  });

  it('finds a long text by its sentences and by its start when the summarizer split or clipped it', () => {
    const long =
      'Lần này giao hàng tới cổng sau của chung cư Hoàng Anh Gia Lai ở số 12 Nguyễn Trãi, gọi bảo vệ tên Tuấn. Không bấm chuông vì em bé ngủ.';
    const clipped = long.slice(0, 80) + '…';
    const redacted = redactSessionOnly({ ...record, key_facts: [clipped, 'Khong bam chuong vi em be ngu.', 'Cho 2 thùng sữa tươi.'] }, [long]);
    expect(redacted.key_facts).toEqual(['Cho 2 thùng sữa tươi.']);
  });

  it('puts a neutral sentence in place of a summary text that had nothing else, and keeps its line breaks otherwise', () => {
    expect(redactSessionOnly({ ...record, summary: 'Khách muốn giao tới 12 Nguyễn Trãi.' }, ['giao toi 12 nguyen trai']).summary).toBe(
      SESSION_ONLY_SUMMARY,
    );
    expect(
      redactSessionOnly({ ...record, summary: 'Khách mua 2 thùng sữa.\nGiao tới 12 Nguyễn Trãi.\nThanh toán tiền mặt.' }, ['Giao tới 12 Nguyễn Trãi'])
        .summary,
    ).toBe('Khách mua 2 thùng sữa.\nThanh toán tiền mặt.');
  });

  it('returns the record as it is when nothing was kept for the conversation only', () => {
    expect(redactSessionOnly(record, [])).toBe(record);
    expect(redactSessionOnly(record, ['zzzz-not-there'])).toEqual(record);
  });
});

/** What the desk would share with the hub: every `summaryAdd`, as the sync outbox is told it. */
function recordingFeed(): ChangeFeed & { summaries: SharedSummary[] } {
  const summaries: SharedSummary[] = [];
  let stamp = 0;
  const next = () => `hlc-${++stamp}`;
  return {
    active: true,
    summaries,
    memoryPut: () => next(),
    memoryForget: () => next(),
    memoryExpired: () => undefined,
    customerPut: () => next(),
    customerErase: () => undefined,
    summaryAdd: (_customerId, summary) => summaries.push(summary),
  };
}

/** The extractive summarizer, noting what it was handed (what the model summarizer would have sent). */
class WatchedSummarizer implements Summarizer {
  readonly handed: Conversation[] = [];
  private readonly inner = new ExtractiveSummarizer();
  summarize(conversation: Conversation): Promise<SummaryRecord> {
    this.handed.push(conversation);
    return this.inner.summarize(conversation);
  }
}

describe('the summarize job and session-only memories', () => {
  it('keeps what was remembered only for the conversation out of the stored and the shared summary', async () => {
    const dir = tempDir();
    const clock = new ManualClock(NOW);
    const feed = recordingFeed();
    const summarizer = new WatchedSummarizer();
    const { db } = openDatabase(path.join(dir, 'memory.sqlite'), migrations);
    const m = createMemory({ db, limits: limitsFromQuotas(defaultSettings.quotas), clock, summarizer, changeFeed: feed });
    const userId = 'c1';
    const sessionId = 's1';
    const then = NOW - 10 * DAY;
    m.sessions.createSession({ userId, sessionId });
    let at = then;
    const append = (author: string, kind: SessionEvent['kind'], content: Record<string, unknown>) =>
      m.sessions.appendEvent({ userId, sessionId, event: { author, kind, content: content as never, turnId: 'run-1', timestamp: at++ } });
    // A tool call as the runner stores it (the model part, then the tool's result answering it by id).
    const tools = createMemoryTools(m.memory);
    let step = 0;
    const agentCalls = (name: 'memorize' | 'memorize_list' | 'forget', args: Record<string, unknown>) => {
      const id = `mm-call-run-1-${step++}-0`;
      append('mm_assistant', 'tool_call', { id, name, args, thoughtSignature: 'sig' });
      const response = runMemoryTool(tools, name, args, { userId, sessionId, turnId: 'run-1' });
      append('mm_assistant', 'tool_result', { id, name, response });
    };

    append('user', 'message', { text: 'Lan nay giao toi 12 nguyen trai, quan 5 nhe. Tôi thích sữa tươi không đường.' });
    agentCalls('memorize', { key: 'địa chỉ lần này', value: 'Giao tới 12 Nguyễn Trãi, Quận 5', scope: 'session' });
    agentCalls('memorize', { key: 'sữa', value: 'Thích sữa tươi không đường' });
    append('mm_assistant', 'message', { text: 'Dạ, em ghi nhớ rồi ạ.' });
    append('user', 'message', { text: 'Hôm nay mua thêm bánh mì Kinh Đô. Cho 2 thùng nước suối Lavie.' });
    agentCalls('memorize_list', { key: 'giỏ tạm', items: ['bánh mì Kinh Đô'], scope: 'session' });
    // Kept for the conversation, then forgotten: only the call in the conversation still tells it.
    append('user', 'message', { text: 'Gọi chị Hoa trước khi giao 30 phút.' });
    agentCalls('memorize', { key: 'gọi trước', value: 'Gọi chị Hoa trước khi giao 30 phút', scope: 'session' });
    agentCalls('forget', { key: 'gọi trước' });
    // Staff keep the gate code for this conversation through the memory API (no tool call).
    append('user', 'message', { text: 'Mã cổng chung cư là 4417# nha.' });
    m.memory.memorize({ userId, sessionId }, 'mã cổng', 'Mã cổng chung cư là 4417#');
    m.sessions.closeSession({ userId, sessionId });

    expect(await m.memory.runMaintenance('summarize')).toMatchObject({ summarized: 1 });

    const sessionOnly = ['Nguyễn Trãi', 'bánh mì Kinh Đô', 'chị Hoa', '4417', 'địa chỉ lần này', 'giỏ tạm'];
    const [stored] = m.memory.listSummaries(userId, sessionId);
    expect(feed.summaries).toHaveLength(1);
    const shared = feed.summaries[0]!;
    const seen = {
      stored: JSON.stringify({ ...stored, learnedAt: undefined }),
      latest: JSON.stringify(m.memory.latestSummary(userId)),
      shared: JSON.stringify(shared),
      handedToSummarizer: JSON.stringify(summarizer.handed[0]!.events),
    };
    for (const [where, text] of Object.entries(seen)) {
      for (const secret of sessionOnly) {
        expect(text, `${where} holds "${secret}"`).not.toContain(secret);
        expect(foldAccents(text), `${where} holds "${foldAccents(secret)}"`).not.toContain(foldAccents(secret));
      }
    }
    // The customer-wide memory and the rest of the conversation are still summarized and shared.
    expect(stored!.user_preferences).toEqual({ thich: 'Tôi thích sữa tươi không đường.' });
    expect(stored!.key_facts).toEqual(['Cho 2 thùng nước suối Lavie.']);
    expect(stored!.important_events).toEqual([
      'tool_call: memorize {"key":"sữa","value":"Thích sữa tươi không đường"}',
      'tool_call: forget {"key":"gọi trước"}',
    ]);
    expect(stored!.summary).toMatch(/^\d+ messages in session s1/);
    expect(shared).toEqual({ text: stored!.summary, facts: stored!.key_facts, preferences: ['thich: Tôi thích sữa tươi không đường.'] });
    // A later conversation finds the summary, not what the earlier one kept for itself.
    m.sessions.createSession({ userId, sessionId: 's2' });
    expect(m.memory.searchMemory({ userId, sessionId: 's2' }, 'nguyen trai', 20, { pastSummaries: true })).toEqual([]);
    expect(m.memory.searchMemory({ userId, sessionId: 's2' }, 'sua tuoi', 20, { pastSummaries: true })).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'summary', sessionId: 's1' })]),
    );
    // The archived transcript is the conversation's own record: every event is still in it.
    const archive = m.memory.exportUserData(userId).sessions.find((session) => session.sessionId === sessionId)!.summaries[0]!.events;
    expect(archive.filter((e) => e.kind === 'tool_call')).toHaveLength(5);
    expect(JSON.stringify(archive)).toContain('Giao tới 12 Nguyễn Trãi, Quận 5');

    await m.close();
    db.close();
  });
});
