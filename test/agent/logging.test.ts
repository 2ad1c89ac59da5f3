// What the agent writes to the app log, on the real runner, the real `@google/genai` SDK and the
// Gemini stand-in, with the real logger writing to a file: how a run ended (code, provider, model,
// run id), Gemini's retry waits and failures, failed tools, calibration and summaries — never the
// staff's message, tool arguments or results, the customer's id or the API key.
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/main/agent/agent';
import type { ModelClient } from '../../src/main/agent/model';
import { createModelResolver } from '../../src/main/agent/modelResolver';
import { Runner } from '../../src/main/agent/runner';
import { ModelSummarizer } from '../../src/main/agent/summarizer';
import { ExtractiveSummarizer } from '../../src/main/memory/summarizer';
import type { SessionEvent } from '@shared/contract/memory';
import { startGeminiStandin } from '../helpers/geminiStandin';
import { captureLog, LEVEL, type LogLine } from '../helpers/logCapture';
import { tempDir } from '../helpers/tempDir';
import { openMemory } from '../memory/helpers';
import { GEMINI_KEY, startHarness, type AgentHarness } from './harness';

const customer = 'KH-0901234567';
const message = 'tìm sữa tươi không đường cho chị Lan Nguyễn';
const withMessage = (lines: LogLine[], msg: string) => lines.filter((line) => line.msg === msg);

let harness: AgentHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

describe('agent log', () => {
  it('a Gemini failure: the retry wait and the failed call as warnings, the run failed with its code, model and run id', async () => {
    const capture = captureLog();
    harness = await startHarness({ mode: 'gemini', logger: capture.child('agent') });
    harness.session(customer, 's1');
    harness.gemini.enqueue(
      { reply: { error: { status: 503 } } },
      // Gemini's error text may echo the request and the key: none of it may reach the log.
      { reply: { error: { status: 500, message: `internal error for key ${GEMINI_KEY} on "${message}"` } } },
    );
    const turn = await harness.say(customer, 's1', message);
    expect(turn.status).toBe('failed');
    expect(turn.error).toMatchObject({ code: 'model_error' });

    const lines = capture.lines();
    expect(withMessage(lines, 'Gemini asked to wait; retrying')).toEqual([
      expect.objectContaining({
        level: LEVEL.warn,
        service: 'agent',
        model: 'gemini-2.5-flash',
        httpStatus: 503,
        attempt: 1,
        reason: 'unavailable',
        waitMs: expect.any(Number),
      }),
    ]);
    expect(withMessage(lines, 'Gemini call failed')).toEqual([
      expect.objectContaining({ level: LEVEL.warn, service: 'agent', model: 'gemini-2.5-flash', httpStatus: 500, attempt: 2, code: 'model_error' }),
    ]);
    const [failed, ...others] = withMessage(lines, 'run failed');
    expect(others).toEqual([]);
    expect(failed).toMatchObject({
      level: LEVEL.warn,
      service: 'agent',
      status: 'failed',
      code: 'model_error',
      provider: 'gemini',
      model: 'gemini-2.5-flash',
      agent: 'mm_assistant',
      modelCalls: 0,
    });
    expect(failed!.runId).toMatch(/^[0-9a-f-]{36}$/);
    const text = capture.text();
    for (const secret of [GEMINI_KEY, customer, 'sữa tươi', 'Lan Nguyễn', 'internal error for key']) expect(text).not.toContain(secret);
  });

  it('a tool that failed is logged by name and code, never its arguments; the run that went on is "run completed"', async () => {
    const capture = captureLog();
    harness = await startHarness({ mode: 'gemini', logger: capture.child('agent') });
    harness.session(customer, 's1');
    harness.store.setFaults({ maintenance: true });
    harness.gemini.enqueue(
      { reply: { functionCalls: [{ name: 'transfer_to_agent', args: { agent_name: 'product_agent' } }] } },
      { reply: { functionCalls: [{ name: 'search_products', args: { query: 'sữa tươi không đường' } }] } },
      { reply: { text: 'Dạ, cửa hàng đang bảo trì.' } },
    );
    const turn = await harness.say(customer, 's1', message);
    expect(turn.status).toBe('completed');
    expect(turn.results.find((result) => result.name === 'search_products')).toMatchObject({ ok: false });

    const lines = capture.lines();
    expect(withMessage(lines, 'tool failed')).toEqual([
      expect.objectContaining({ level: LEVEL.info, service: 'agent', agent: 'product_agent', tool: 'search_products', code: 'store_unavailable' }),
    ]);
    expect(withMessage(lines, 'run completed')).toEqual([
      expect.objectContaining({
        level: LEVEL.info,
        service: 'agent',
        status: 'completed',
        provider: 'gemini',
        agent: 'product_agent',
        modelCalls: 3,
      }),
    ]);
    const text = capture.text();
    for (const secret of [customer, 'sữa tươi', 'Lan Nguyễn', 'bảo trì', GEMINI_KEY]) expect(text).not.toContain(secret);
  });

  it('a failed token count calibration is a warning naming the model; the run still completes', async () => {
    const capture = captureLog();
    const memory = openMemory(tempDir());
    try {
      memory.sessions.createSession({ userId: customer, sessionId: 's1' });
      const client: ModelClient = {
        provider: 'gemini',
        async *generate() {
          yield { type: 'text', text: 'Dạ.' };
        },
        countTokens: () => Promise.reject(new Error(`count refused for "${message}"`)),
      };
      const runner = new Runner({
        rootAgent: new Agent({ name: 'root', description: 'r', instruction: 'Be brief.', tools: [] }),
        sessions: memory.sessions,
        model: () => ({ client, name: 'gemini-2.5-flash' }),
        logger: capture.child('agent'),
      });
      // Long enough for the estimator to learn a ratio from it.
      const long = `${message}. ${'Khách hỏi thêm về giá và khuyến mãi của sữa tươi. '.repeat(6)}`;
      const events = [];
      for await (const event of runner.run({ userId: customer, sessionId: 's1', message: long })) events.push(event);
      expect(events.at(-1)).toMatchObject({ type: 'done', status: 'completed' });
      await runner.estimator.idle();
    } finally {
      await memory.shutdown();
    }
    const lines = capture.lines();
    expect(withMessage(lines, 'token count calibration failed; the fixed estimate stays')).toEqual([
      expect.objectContaining({ level: LEVEL.warn, service: 'agent', model: 'gemini-2.5-flash', code: 'internal', errorType: 'Error' }),
    ]);
    expect(capture.text()).not.toContain('count refused');
    expect(capture.text()).not.toContain('sữa tươi');
  });

  it('a summary the model could not make is a warning with its code or reason, never the conversation', async () => {
    const capture = captureLog();
    const gemini = await startGeminiStandin({ apiKey: GEMINI_KEY });
    try {
      const models = createModelResolver(
        { apiKey: () => GEMINI_KEY, get: () => ({ model: 'gemini-2.5-flash' }) },
        { GEMINI_BASE_URL: gemini.baseUrl },
        { attempts: 1, initialDelaySeconds: 0.01, maxDelaySeconds: 0.01 },
        capture.child('agent'),
      );
      const summarizer = new ModelSummarizer(models, new ExtractiveSummarizer(), () => 'vi', capture.child('agent'));
      const events: SessionEvent[] = [
        { id: 'e1', author: 'user', kind: 'message', content: { text: message }, turnId: 't1', timestamp: 1 },
        { id: 'e2', author: 'mm_assistant', kind: 'message', content: { text: 'Dạ, có sữa tươi Vinamilk.' }, turnId: 't1', timestamp: 2 },
      ];
      gemini.enqueue({ reply: { error: { status: 500 } } }, { reply: { text: 'Tóm tắt: chị Lan Nguyễn thích sữa tươi.' } });
      await summarizer.summarize({ userId: customer, sessionId: 's1', events });
      await summarizer.summarize({ userId: customer, sessionId: 's1', events });
    } finally {
      await gemini.close();
    }
    const failures = withMessage(capture.lines(), 'the model summary failed; the extractive summary is used');
    expect(failures).toEqual([
      expect.objectContaining({ level: LEVEL.warn, service: 'agent', code: 'model_error', httpStatus: 500 }),
      expect.objectContaining({ level: LEVEL.warn, service: 'agent', reason: 'not_json' }),
    ]);
    for (const secret of [customer, 'sữa tươi', 'Lan Nguyễn', GEMINI_KEY]) expect(capture.text()).not.toContain(secret);
  });
});
