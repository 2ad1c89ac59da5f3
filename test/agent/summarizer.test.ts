import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModelResolver } from '../../src/main/agent/modelResolver';
import { startGeminiStandin, type GeminiStandin } from '../helpers/geminiStandin';
import { ModelSummarizer } from '../../src/main/agent/summarizer';
import { ExtractiveSummarizer } from '../../src/main/memory/summarizer';
import type { SessionEvent } from '@shared/contract/memory';
import { GEMINI_KEY } from './harness';
import { ManualClock, openMemory } from '../memory/helpers';
import { tempDir } from '../helpers/tempDir';

const events: SessionEvent[] = [
  { id: 'e1', author: 'user', kind: 'message', content: { text: 'nhớ rằng khách thích sữa không đường' }, turnId: 't1', timestamp: 1 },
  {
    id: 'e2',
    author: 'mm_assistant',
    kind: 'tool_call',
    content: { name: 'memorize', args: { key: 'sua', value: 'không đường' } },
    turnId: 't1',
    timestamp: 2,
  },
  { id: 'e3', author: 'mm_assistant', kind: 'tool_result', content: { name: 'memorize', response: { saved: true } }, turnId: 't1', timestamp: 3 },
  { id: 'e4', author: 'mm_assistant', kind: 'message', content: { text: 'Đã ghi nhớ.' }, turnId: 't1', timestamp: 4 },
];
const modelSummary = {
  summary: 'Khách thích sữa không đường.',
  key_facts: ['sữa không đường'],
  user_preferences: { sua: 'không đường', size: 1 },
  important_events: [{ kind: 'memorize' }],
  timestamp: '2026-11-23T08:00:00.000Z',
};

describe('summarizer agent', () => {
  let gemini: GeminiStandin;
  let keySet = true;
  let summarizer: ModelSummarizer;
  beforeEach(async () => {
    gemini = await startGeminiStandin({ apiKey: GEMINI_KEY });
    keySet = true;
    const models = createModelResolver(
      { apiKey: () => (keySet ? GEMINI_KEY : null), get: () => ({ model: 'gemini-2.5-flash' }) },
      { GEMINI_BASE_URL: gemini.baseUrl },
      { attempts: 1, initialDelaySeconds: 0.01, maxDelaySeconds: 0.01 },
    );
    summarizer = new ModelSummarizer(models, new ExtractiveSummarizer(), () => 'vi');
  });
  afterEach(() => gemini.close());

  it('asks Gemini for the JSON summary, with the transcript but without store results', async () => {
    gemini.enqueue({
      expect: { systemIncludes: ['"key_facts"'], noTools: ['memorize'], contentsInclude: ['sữa không đường'], contentsExclude: ['"saved"'] },
      reply: { text: JSON.stringify(modelSummary) },
    });
    const record = await summarizer.summarize({ userId: 'kh-a', sessionId: 's1', events });
    expect(record).toEqual({ ...modelSummary, user_preferences: { sua: 'không đường', size: '1' }, important_events: ['{"kind":"memorize"}'] });
    expect(gemini.requests[0]!.body.generationConfig).toMatchObject({ responseMimeType: 'application/json' });
    expect(gemini.failures).toEqual([]);
  });

  it('falls back to the extractive summary on an answer that is not the JSON, on a model error and offline', async () => {
    const extractive = await new ExtractiveSummarizer().summarize({ userId: 'kh-a', sessionId: 's1', events });
    gemini.enqueue({ reply: { text: 'Here is a summary: the customer likes milk.' } }, { reply: { error: { status: 500 } } });
    expect(await summarizer.summarize({ userId: 'kh-a', sessionId: 's1', events })).toEqual(extractive);
    expect(await summarizer.summarize({ userId: 'kh-a', sessionId: 's1', events })).toEqual(extractive);
    keySet = false;
    expect(await summarizer.summarize({ userId: 'kh-a', sessionId: 's1', events })).toEqual(extractive);
    expect(gemini.requests).toHaveLength(2);
  });

  it('is what the memory maintenance uses for its daily summaries', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23));
    const memory = openMemory(tempDir(), { clock, summarizer });
    try {
      memory.sessions.createSession({ userId: 'kh-a', sessionId: 's1' });
      for (const { turnId, ...event } of events) {
        memory.sessions.appendEvent({ userId: 'kh-a', sessionId: 's1', event: { ...event, turnId: turnId ?? 't1', timestamp: clock.now() } });
      }
      memory.sessions.closeSession({ userId: 'kh-a', sessionId: 's1' });
      clock.advanceTo(clock.now() + 8 * 24 * 3600_000);
      gemini.enqueue({ reply: { text: JSON.stringify(modelSummary) } });
      const report = await memory.scheduler.run('summarize', 'manual');
      expect(report.summarized).toBe(1);
      expect(memory.memory.latestSummary('kh-a')).toMatchObject({ summary: 'Khách thích sữa không đường.' });
    } finally {
      await memory.shutdown();
    }
  });
});
