/**
 * What the agent remembers "only for this conversation" (`memorize` / `memorize_list` with
 * `scope: 'session'`) stays out of the conversation's summary, with the events as the real runner
 * stores them and with either summarizer: the extractive one, and the summarizer agent on Gemini,
 * which is not even shown those calls and whose answer is cleaned of them too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TOOL_NAMES } from '@shared/agentNames';
import type { SummaryRecord } from '@shared/contract/memory';
import { foldAccents } from '@shared/text';
import { createModelResolver } from '../../src/main/agent/modelResolver';
import { ModelSummarizer } from '../../src/main/agent/summarizer';
import { ExtractiveSummarizer } from '../../src/main/memory/summarizer';
import { startGeminiStandin } from '../helpers/geminiStandin';
import { tempDir } from '../helpers/tempDir';
import { DAY, ManualClock, openMemory } from '../memory/helpers';
import { GEMINI_KEY, startHarness, type AgentHarness } from './harness';

const CUSTOMER = 'kh-lan';
const SESSION = 'quay-2-sang';
const ADDRESS = 'Giao tới 12 Nguyễn Trãi, Quận 5';
const BASKET = 'bánh mì Kinh Đô';
const GATE = 'Mã cổng chung cư là 4417#';

let harness: AgentHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function expectFreeOf(where: string, value: unknown, secrets: readonly string[]): void {
  const text = JSON.stringify(value);
  for (const secret of secrets) {
    expect(text, `${where} holds "${secret}"`).not.toContain(secret);
    expect(foldAccents(text), `${where} holds "${foldAccents(secret)}"`).not.toContain(foldAccents(secret));
  }
}

describe('a summary of a conversation with session-only memories', () => {
  it('leaves out what the agent kept for the conversation only, with the events the runner stored', async () => {
    harness = await startHarness({ mode: 'gemini' });
    const h = harness;
    h.session(CUSTOMER, SESSION);
    h.gemini.enqueue(
      {
        reply: {
          functionCalls: [
            { name: TOOL_NAMES.memorize, args: { key: 'địa chỉ lần này', value: ADDRESS, scope: 'session' } },
            { name: TOOL_NAMES.memorize, args: { key: 'sữa', value: 'Thích sữa tươi không đường' } },
            { name: TOOL_NAMES.memorizeList, args: { key: 'giỏ tạm', items: [BASKET], scope: 'session' } },
          ],
        },
      },
      { reply: { text: 'Dạ, em ghi nhớ rồi ạ.' } },
    );
    const turn = await h.say(
      CUSTOMER,
      SESSION,
      'Lần này giao tới 12 nguyen trai, quan 5 nhé. Tôi thích sữa tươi không đường. Mua thêm banh mi Kinh Do.',
    );
    expect(turn.status).toBe('completed');
    expect(turn.results.map((result) => [result.name, result.ok])).toEqual([
      [TOOL_NAMES.memorize, true],
      [TOOL_NAMES.memorize, true],
      [TOOL_NAMES.memorizeList, true],
    ]);
    // Staff keep the gate code for this conversation only, through the memory API.
    h.memory.memory.memorize({ userId: CUSTOMER, sessionId: SESSION }, 'mã cổng', GATE);
    h.gemini.enqueue({ reply: { text: 'Dạ.' } });
    await h.say(CUSTOMER, SESSION, 'Mã cổng chung cư là 4417# nha.');
    h.memory.sessions.closeSession({ userId: CUSTOMER, sessionId: SESSION });
    h.clock.advanceTo(h.clock.now() + 8 * DAY);

    expect(await h.memory.memory.runMaintenance('summarize')).toMatchObject({ summarized: 1 });

    const [summary] = h.memory.memory.listSummaries(CUSTOMER, SESSION);
    expectFreeOf('the stored summary', { ...summary, learnedAt: undefined }, ['Nguyễn Trãi', BASKET, '4417', 'địa chỉ lần này', 'giỏ tạm']);
    expectFreeOf('the latest summary', h.memory.memory.latestSummary(CUSTOMER), ['Nguyễn Trãi', BASKET, '4417']);
    expect(summary!.user_preferences).toEqual({ thich: 'Tôi thích sữa tươi không đường.' });
    expect(summary!.important_events).toEqual(['tool_call: memorize {"key":"sữa","value":"Thích sữa tươi không đường"}']);
  });

  it('does not show the model the session-only calls, and cleans its answer of session-only texts', async () => {
    const gemini = await startGeminiStandin({ apiKey: GEMINI_KEY });
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 8));
    const models = createModelResolver(
      { apiKey: () => GEMINI_KEY, get: () => ({ model: 'gemini-2.5-flash' }) },
      { GEMINI_BASE_URL: gemini.baseUrl },
      { attempts: 1, initialDelaySeconds: 0.01, maxDelaySeconds: 0.01 },
    );
    const memory = openMemory(tempDir(), { clock, summarizer: new ModelSummarizer(models, new ExtractiveSummarizer(), () => 'vi') });
    try {
      memory.sessions.createSession({ userId: CUSTOMER, sessionId: SESSION });
      const append = (author: string, kind: 'message' | 'tool_call' | 'tool_result', content: Record<string, unknown>) =>
        memory.sessions.appendEvent({ userId: CUSTOMER, sessionId: SESSION, event: { author, kind, content: content as never, turnId: 'run-1' } });
      // As the runner stores a step: the model's call parts, then the tools' results naming them by id.
      append('user', 'message', { text: 'Lần này giao tới 12 Nguyễn Trãi nhé, tôi thích sữa tươi.' });
      append('mm_assistant', 'tool_call', {
        id: 'mm-call-run-1-0-0',
        name: 'memorize',
        args: { key: 'địa chỉ lần này', value: ADDRESS, scope: 'session' },
      });
      append('mm_assistant', 'tool_call', { id: 'mm-call-run-1-0-1', name: 'memorize', args: { key: 'sữa', value: 'Thích sữa tươi' } });
      append('mm_assistant', 'tool_result', {
        id: 'mm-call-run-1-0-0',
        name: 'memorize',
        response: { saved: true, key: 'địa chỉ lần này', tier: 'warm' },
      });
      append('mm_assistant', 'tool_result', { id: 'mm-call-run-1-0-1', name: 'memorize', response: { saved: true, key: 'sữa', tier: 'warm' } });
      append('mm_assistant', 'message', { text: 'Dạ, em ghi nhớ rồi ạ.' });
      memory.memory.memorize({ userId: CUSTOMER, sessionId: SESSION }, 'địa chỉ lần này', ADDRESS);
      memory.sessions.closeSession({ userId: CUSTOMER, sessionId: SESSION });
      clock.advanceTo(clock.now() + 8 * DAY);
      // The model still reads the customer's own words and echoes them; its answer is cleaned.
      const answer: SummaryRecord = {
        summary: 'Khách thích sữa tươi. Khách dặn lần này giao tới 12 Nguyễn Trãi, Quận 5.',
        key_facts: ['Thích sữa tươi', 'giao toi 12 nguyen trai, quan 5'],
        user_preferences: { sua: 'sữa tươi', dia_chi: ADDRESS },
        important_events: ['memorize sữa'],
        timestamp: '2026-11-23T08:00:00.000Z',
      };
      gemini.enqueue({
        expect: { contentsInclude: ['Thích sữa tươi'], contentsExclude: ['địa chỉ lần này', 'Quận 5'] },
        reply: { text: JSON.stringify(answer) },
      });

      expect(await memory.memory.runMaintenance('summarize')).toMatchObject({ summarized: 1 });

      expect(gemini.failures).toEqual([]);
      expect(gemini.requests).toHaveLength(1);
      const [summary] = memory.memory.listSummaries(CUSTOMER, SESSION);
      expect(summary).toMatchObject({
        summary: 'Khách thích sữa tươi.',
        key_facts: ['Thích sữa tươi'],
        user_preferences: { sua: 'sữa tươi' },
        important_events: ['memorize sữa'],
      });
      expectFreeOf('the stored summary', { ...summary, learnedAt: undefined }, ['Nguyễn Trãi', 'Quận 5']);
    } finally {
      await memory.shutdown();
      await gemini.close();
    }
  });
});
