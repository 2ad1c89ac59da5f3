/**
 * What the app sends Gemini, request by request, checked by the stand-in against the API's rules
 * (geminiRules.ts): declarations in the documented schema subset, thought signatures sent back,
 * roles alternating with every call answered, and the request under the token budget. The real
 * agent tree, runner, SQLite sessions and the real `@google/genai` SDK; only Gemini and the store
 * are stand-ins (neither can be reached here).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/main/agent/agent';
import { createAgentTree, createSummarizerAgent } from '../../src/main/agent/agents';
import { GeminiModelClient } from '../../src/main/agent/geminiClient';
import { Runner } from '../../src/main/agent/runner';
import { FunctionTool } from '../../src/main/agent/tool';
import { createMemoryTools } from '../../src/main/memory/tools';
import { schemaProblems } from '../helpers/geminiRules';
import { startGeminiStandin } from '../helpers/geminiStandin';
import { tempDir } from '../helpers/tempDir';
import { openMemory } from '../memory/helpers';
import { GEMINI_KEY, startHarness, type AgentHarness } from './harness';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/gemini');
const recorded = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(fixtures, name), 'utf8')) as { model: string; responses: Record<string, unknown>[][] };

describe('every declaration the app can send', () => {
  it('stays inside the keywords the API documents, with no reference or recursion', () => {
    const memoryTools = Object.values(createMemoryTools(openMemory(tempDir()).memory));
    const root = createAgentTree({ commerce: {} as never, memoryTools });
    const agents: Agent[] = [];
    const visit = (agent: Agent) => {
      agents.push(agent);
      agent.subAgents.forEach(visit);
    };
    visit(root);
    visit(createSummarizerAgent());
    const declarations = agents.flatMap((agent) => agent.allTools().map((tool) => ({ agent: agent.name, declaration: tool.declaration() })));
    expect(declarations.length).toBeGreaterThan(15);
    const problems = declarations.flatMap(({ agent, declaration }) =>
      schemaProblems(declaration.parametersJsonSchema).map((problem) => `${agent}.${declaration.name}: ${problem}`),
    );
    expect(problems).toEqual([]);
    const memorize = declarations.find(({ declaration }) => declaration.name === 'memorize')!.declaration.parametersJsonSchema;
    expect(JSON.stringify(memorize)).not.toMatch(/\$ref|\$defs/);
  });

  it('the check itself fails on what the app used to send (a recursive JSON value) and on undocumented keywords', () => {
    const recursive = z.toJSONSchema(z.object({ value: z.json() }), { io: 'input' });
    expect(schemaProblems(recursive).join('\n')).toMatch(/\$ref|\$defs/);
    expect(schemaProblems({ type: 'object', properties: { n: { type: 'integer', exclusiveMinimum: 0 } } })).toHaveLength(1);
    expect(schemaProblems({ type: 'object', additionalProperties: { type: 'string' } })).toHaveLength(1);
  });

  it('a tool whose schema needs a reference is refused when it is declared, before any request', () => {
    type Tree = { name: string; children: Tree[] };
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ name: z.string(), children: z.array(tree) }));
    const tool = new FunctionTool({ name: 'tree', description: 't', parameters: z.object({ root: tree }), execute: () => ({}) });
    expect(() => tool.declaration()).toThrow(/\$ref|\$defs/);
  });
});

describe('history sent back exactly as the model gave it', () => {
  let harness: AgentHarness;
  afterEach(() => harness.close());

  for (const family of ['3', '2.5'] as const) {
    it(`replays a Gemini ${family} turn with its signatures, parallel calls together and their responses together`, async () => {
      harness = await startHarness({ mode: 'gemini', family });
      const turn = recorded(family === '3' ? 'gemini-3-turn.json' : 'gemini-2.5-turn.json');
      harness.session('kh-1', 's1');
      harness.gemini.enqueue(...turn.responses.map((chunks) => ({ reply: { recorded: chunks } })));
      const first = await harness.say('kh-1', 's1', 'tìm sữa tươi và bia');
      expect(first.status).toBe('completed');
      expect(first.text).toBe('Có sữa tươi và bia cho khách.');
      expect(first.tools).toEqual(['transfer_to_agent', 'search_products', 'search_products']);

      harness.gemini.enqueue({ reply: { text: 'Dạ.' } });
      const second = await harness.say('kh-1', 's1', 'cảm ơn');
      expect(second.status).toBe('completed');
      expect(harness.gemini.failures).toEqual([]);

      const sentParts = (call: number) => harness.gemini.requests[call]!.body.contents!;
      // Within the turn: the parallel calls as one model turn, both answers in one user turn, in order.
      const third = sentParts(2);
      const step = third.at(-2)!;
      const modelParts = turn.responses[1]![0]!.candidates as { content: { parts: unknown[] } }[];
      expect(step).toEqual({ role: 'model', parts: modelParts[0]!.content.parts });
      expect(third.at(-1)!.parts!.map((part) => (part.functionResponse as { name: string }).name)).toEqual(['search_products', 'search_products']);
      // The next turn: every part of the first turn as received, signatures included.
      const replay = sentParts(3);
      const received = turn.responses.map((chunks) =>
        chunks.flatMap((chunk) => (chunk.candidates as { content: { parts: Record<string, unknown>[] } }[])[0]!.content.parts),
      );
      const modelTurns = replay.filter((content) => content.role === 'model').map((content) => content.parts);
      expect(modelTurns).toHaveLength(3);
      expect(modelTurns[0]).toEqual(received[0]);
      expect(modelTurns[1]).toEqual(received[1]);
      // Streamed text deltas arrive as one text part; the signature-only closing part stays as it came.
      const answerText = received[2]!
        .filter((part) => part.text)
        .map((part) => part.text as string)
        .join('');
      expect(modelTurns[2]![0]).toEqual({ text: answerText });
      if (family === '3') expect(modelTurns[2]![1]).toEqual(received[2]!.at(-1));
      expect(replay.map((content) => content.role)).toEqual(['user', 'model', 'user', 'model', 'user', 'model', 'user']);
      expect(replay.at(-1)!.parts).toEqual([{ text: 'cảm ơn' }]);
    });
  }

  it('after a turn that failed mid-way, the next request is one the API accepts (no dangling call, no two user turns in a row)', async () => {
    harness = await startHarness({ mode: 'gemini' });
    harness.session('kh-1', 's1');
    harness.gemini.enqueue(
      { reply: { functionCalls: [{ name: 'search_memory', args: { query: 'sữa' } }] } },
      { reply: { error: { status: 500, message: 'internal' } } },
    );
    const failed = await harness.say('kh-1', 's1', 'khách thích sữa gì?');
    expect(failed.status).toBe('failed');
    harness.gemini.enqueue({ expect: { contentsInclude: ['khách thích sữa gì?', 'thêm bia'] }, reply: { text: 'Dạ.' } });
    const next = await harness.say('kh-1', 's1', 'thêm bia');
    expect(next.status).toBe('completed');
    expect(harness.gemini.failures).toEqual([]);
    const roles = harness.gemini.requests.at(-1)!.body.contents!.map((content) => content.role);
    expect(roles).toEqual(['user', 'model', 'user']);
  });

  it('after a cancel in the middle of parallel calls, the calls not run are answered as not run and the next turn is accepted', async () => {
    const memory = openMemory(tempDir());
    memory.sessions.createSession({ userId: 'u1', sessionId: 's1' });
    const gemini = await startGeminiStandin({ apiKey: GEMINI_KEY });
    try {
      const controller = new AbortController();
      const quick = new FunctionTool({ name: 'quick', description: 'q', parameters: z.object({}).strict(), execute: () => ({ ok: true }) });
      const stuck = new FunctionTool({
        name: 'stuck',
        description: 's',
        parameters: z.object({}).strict(),
        execute: (_args, context) => {
          controller.abort();
          return new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }));
        },
      });
      const client = new GeminiModelClient({ apiKey: GEMINI_KEY, baseUrl: gemini.baseUrl });
      const runner = new Runner({
        rootAgent: new Agent({ name: 'root', description: 'r', instruction: 'i', tools: [quick, stuck] }),
        sessions: memory.sessions,
        model: () => ({ client, name: 'gemini-3-flash-preview' }),
      });
      gemini.enqueue({ reply: { functionCalls: [{ name: 'quick' }, { name: 'stuck' }, { name: 'quick' }] } });
      for await (const event of runner.run({ userId: 'u1', sessionId: 's1', message: 'làm ba việc', signal: controller.signal })) {
        if (event.type === 'done') expect(event.status).toBe('cancelled');
      }
      const results = memory.sessions.getSession({ userId: 'u1', sessionId: 's1' }).events.filter((event) => event.kind === 'tool_result');
      expect(results.map((event) => (event.content as { response: { error?: { message: string } } }).response.error?.message ?? 'ran')).toEqual([
        'ran',
        'Not run: the request was stopped before this call.',
        'Not run: the request was stopped before this call.',
      ]);
      gemini.enqueue({ reply: { text: 'Dạ.' } });
      for await (const event of runner.run({ userId: 'u1', sessionId: 's1', message: 'tiếp tục' })) {
        if (event.type === 'done') expect(event.status).toBe('completed');
      }
      expect(gemini.failures).toEqual([]);
      const sent = gemini.requests.at(-1)!.body.contents!;
      expect(sent.map((content) => content.role)).toEqual(['user', 'model', 'user']);
      expect(sent[1]!.parts).toHaveLength(3);
      expect(sent[2]!.parts!.map((part) => Object.keys(part)[0])).toEqual(['functionResponse', 'functionResponse', 'functionResponse', 'text']);
    } finally {
      await memory.shutdown();
      await gemini.close();
    }
  });
});

describe('context bounded by size', () => {
  let harness: AgentHarness;
  afterEach(() => harness.close());

  it('keeps every request under the budget after a 300 KB memory write, and the value stays whole in memory', async () => {
    const budget = 8_000;
    harness = await startHarness({ mode: 'gemini', tokenBudget: budget });
    harness.session('kh-1', 's1');
    const huge = 'Danh sách hàng hay mua: '.padEnd(300 * 1024, 'sữa tươi, bia, gạo, ');
    harness.gemini.enqueue(
      { reply: { functionCalls: [{ name: 'memorize', args: { key: 'hang-hay-mua', value: huge } }] } },
      { expect: { contentsInclude: ['kept in memory under key \\"hang-hay-mua\\"'] }, reply: { text: 'Đã ghi nhớ.' } },
    );
    expect((await harness.say('kh-1', 's1', 'nhớ danh sách hàng của khách')).status).toBe('completed');
    for (let turn = 0; turn < 8; turn++) {
      harness.gemini.enqueue({ reply: { text: `Dạ ${turn}.` } });
      expect((await harness.say('kh-1', 's1', `câu hỏi số ${turn}`)).status).toBe('completed');
    }
    expect(harness.gemini.failures).toEqual([]);
    const largest = Math.max(...harness.gemini.requests.map((request) => JSON.stringify(request.body).length));
    expect(largest).toBeLessThan(budget * 4);
    expect(harness.memory.memory.getMemory({ userId: 'kh-1' }, 'hang-hay-mua').value).toBe(huge);
    // Recent turns are still there.
    expect(JSON.stringify(harness.gemini.requests.at(-1)!.body.contents)).toContain('câu hỏi số 6');
  });

  it('calibrates the estimate once per model with countTokens', async () => {
    harness = await startHarness({ mode: 'gemini' });
    harness.session('kh-1', 's1');
    for (let turn = 0; turn < 3; turn++) {
      harness.gemini.enqueue({ reply: { text: `Dạ, đây là câu trả lời khá dài số ${turn} để có đủ chữ mà đếm.`.repeat(4) } });
      await harness.say('kh-1', 's1', `câu hỏi số ${turn} về sữa tươi và bia Tiger cho khách quen`);
    }
    await harness.agent.runner.estimator.idle();
    expect(harness.agent.runner.estimator.isCalibrated('gemini-2.5-flash')).toBe(true);
    expect(harness.gemini.countRequests).toBe(1);
    expect(harness.agent.runner.estimator.factor('gemini-2.5-flash')).toBeLessThan(1);
  });
});
