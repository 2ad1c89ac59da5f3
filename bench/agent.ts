/**
 * `npm run bench -- agent`
 * (a) Orchestration overhead per turn: the real runner (session appends on SQLite, memory context,
 *     validation, callbacks, events) with a zero-latency in-process model (the offline planner) and
 *     the demo store; the model's and the tools' own time is measured and subtracted. Baseline:
 *     the same model and tool calls made directly, with no orchestration, in the same run.
 * (b) Prompt tokens per turn over a 200-turn scripted conversation with this context policy
 *     (last 20 events + memories + summary, fitted to the token budget) vs sending the full
 *     history, counted the same way; the recall at the end must still answer from memory.
 * (c) The largest request over a 200-turn Gemini conversation with a 300 KB memory write.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAgent, type AgentModule } from '../src/main/agent';
import { DEFAULT_TOKEN_BUDGET } from '../src/main/agent/budget';
import { GeminiModelClient } from '../src/main/agent/geminiClient';
import { estimateTokens, type ModelChunk, type ModelClient, type ModelContent, type ModelRequest } from '../src/main/agent/model';
import { OfflinePlanner } from '../src/main/agent/offline/planner';
import type { CommercePort, MemoryToolSpec } from '../src/main/agent/ports';
import { createAgentTree } from '../src/main/agent/agents';
import { MemoryCartIdStore } from '../src/main/commerce/cartIds';
import { CommerceClient } from '../src/main/commerce/client';
import { DemoStore } from '../src/main/commerce/demo/server';
import { buildDemoSchema } from '../src/main/commerce/demo/schema';
import { createMemory, limitsFromQuotas, type MemoryModule } from '../src/main/memory';
import { createMemoryTools } from '../src/main/memory/tools';
import { openDatabase, type Db } from '../src/main/storage/database';
import { migrations } from '../src/main/storage/migrations';
import type { ChatEventBody } from '@shared/contract/chat';
import { defaultSettings } from '@shared/settings';
import { startGeminiStandin, type GeminiRequestBody, type StandinReply } from '../test/helpers/geminiStandin';
import { round, percentile } from './_stats';

const here = path.dirname(fileURLToPath(import.meta.url));
const WARMUP_TURNS = 200;
const MEASURED_TURNS = 2000;
const CONVERSATION_TURNS = 200;

/** Staff requests of a working day, cycled: search, cart, memory, small talk. */
const script = [
  'tìm sữa tươi',
  'thêm 2 hộp sữa tươi vào giỏ',
  'xem giỏ hàng',
  'tim nuoc mam Nam Ngu',
  'chi tiết gạo ST25',
  'khách thích gì?',
  'find Heineken beer',
  'xin chào',
  'đổi số lượng sữa tươi thành 3',
  'dầu ăn Neptune giá bao nhiêu?',
];

/** Time spent inside the model and inside tools, so it can be taken out of the turn's time. */
class Stopwatch {
  modelMs = 0;
  toolMs = 0;
  reset(): void {
    this.modelMs = 0;
    this.toolMs = 0;
  }
}

function timedModel(inner: ModelClient, watch: Stopwatch): ModelClient {
  return {
    provider: inner.provider,
    async *generate(request, signal): AsyncGenerator<ModelChunk, void, undefined> {
      const iterator = inner.generate(request, signal)[Symbol.asyncIterator]();
      for (;;) {
        const started = performance.now();
        const next = await iterator.next();
        watch.modelMs += performance.now() - started;
        if (next.done) return;
        yield next.value;
      }
    },
  };
}

function timedCommerce(inner: CommerceClient, watch: Stopwatch): CommercePort {
  const time =
    <A, R>(call: (input: A) => Promise<R>) =>
    async (input: A): Promise<R> => {
      const started = performance.now();
      try {
        return await call(input);
      } finally {
        watch.toolMs += performance.now() - started;
      }
    };
  return {
    searchProducts: time((input) => inner.searchProducts(input)),
    getProduct: time((input) => inner.getProduct(input)),
    getCart: time((input) => inner.getCart(input)),
    addToCart: time((input) => inner.addToCart(input)),
    updateCartItem: time((input) => inner.updateCartItem(input)),
    removeCartItem: time((input) => inner.removeCartItem(input)),
  };
}

function timedMemoryTools(memory: MemoryModule, watch: Stopwatch): MemoryToolSpec[] {
  return Object.values(createMemoryTools(memory.memory)).map((tool) => ({
    ...tool,
    execute: (args: never, context: { userId: string; sessionId?: string; turnId?: string }) => {
      const started = performance.now();
      try {
        return (tool.execute as (a: never, c: typeof context) => unknown)(args, context);
      } finally {
        watch.toolMs += performance.now() - started;
      }
    },
  }));
}

interface Setup {
  db: Db;
  memory: MemoryModule;
  store: DemoStore;
  commerce: CommerceClient;
  close(): Promise<void>;
}

async function setup(): Promise<Setup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-agent-'));
  const { db } = openDatabase(path.join(dir, 'bench.sqlite'), migrations);
  const memory = createMemory({ db, limits: limitsFromQuotas(defaultSettings.quotas) });
  const schemaSdl = fs.readFileSync(path.resolve(here, '../src/main/commerce/demo/schema.graphql'), 'utf8');
  const store = await DemoStore.start({ schema: buildDemoSchema(schemaSdl, { mmExtensions: false }) });
  const commerce = new CommerceClient({
    endpoint: store.endpoint,
    cartIds: new MemoryCartIdStore(),
    rateLimit: { maxRequests: 1_000_000, windowMs: 60_000, maxQueue: 10_000 },
  });
  return {
    db,
    memory,
    store,
    commerce,
    async close() {
      await commerce.close();
      await store.close();
      await memory.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function agentFor(env: Setup, watch: Stopwatch, recentEvents: number, tokenBudget = DEFAULT_TOKEN_BUDGET): AgentModule {
  const model = timedModel(new OfflinePlanner(), watch);
  return createAgent({
    tokenBudget: () => tokenBudget,
    db: env.db,
    model: () => ({ client: model, name: 'offline' }),
    language: () => 'vi',
    sessions: env.memory.sessions,
    memory: env.memory.memory,
    memoryTools: timedMemoryTools(env.memory, watch),
    commerce: timedCommerce(env.commerce, watch),
    limits: { contextPolicy: { recentEvents } },
  });
}

async function runTurn(agent: AgentModule, userId: string, sessionId: string, message: string): Promise<{ text: string; promptTokens: number }> {
  let done: Extract<ChatEventBody, { type: 'done' }> | null = null;
  let promptTokens = 0;
  for await (const event of agent.runner.run({ userId, sessionId, message })) {
    if (event.type === 'usage') promptTokens = event.promptTokens;
    if (event.type === 'done') done = event;
  }
  if (done?.status !== 'completed') throw new Error(`turn "${message}" ended ${done?.status}`);
  return { text: done.text, promptTokens };
}

/** Runner time per turn with the model's and the tools' time taken out, sorted. */
async function measureOverhead(env: Setup, userId: string, turns: number): Promise<{ overheads: number[]; totals: number[] }> {
  const watch = new Stopwatch();
  const agent = agentFor(env, watch, 20);
  env.memory.sessions.createSession({ userId, sessionId: 'overhead' });
  const overheads: number[] = [];
  const totals: number[] = [];
  for (let turn = 0; turn < WARMUP_TURNS + turns; turn++) {
    watch.reset();
    const started = performance.now();
    await runTurn(agent, userId, 'overhead', script[turn % script.length]!);
    const total = performance.now() - started;
    if (turn >= WARMUP_TURNS) {
      totals.push(total);
      overheads.push(total - watch.modelMs - watch.toolMs);
    }
  }
  return { overheads: overheads.sort((a, b) => a - b), totals: totals.sort((a, b) => a - b) };
}

/**
 * (a) The runner's own time per turn. Also for a customer with 60 memories, where the context
 * policy has to pick the relevant ones by word instead of taking them all.
 */
async function overhead(env: Setup): Promise<Record<string, unknown>> {
  const { overheads, totals } = await measureOverhead(env, 'bench-a', MEASURED_TURNS);
  for (let i = 0; i < 60; i++)
    env.memory.memory.memorize({ userId: 'bench-many' }, `note-${i}`, `ghi chú ${i}: khách ${i % 2 ? 'thích' : 'không thích'} món số ${i}`);
  const many = await measureOverhead(env, 'bench-many', MEASURED_TURNS / 4);
  const baseline = await directBaseline(env, new Stopwatch());
  return {
    turns: MEASURED_TURNS,
    overhead_median_ms: round(percentile(overheads, 50), 3),
    overhead_p99_ms: round(percentile(overheads, 99), 3),
    overhead_60_memories_median_ms: round(percentile(many.overheads, 50), 3),
    overhead_60_memories_p99_ms: round(percentile(many.overheads, 99), 3),
    turn_median_ms: round(percentile(totals, 50), 3),
    baseline_direct_turn_median_ms: round(baseline.median, 3),
    baseline_direct_overhead_median_ms: round(baseline.overheadMedian, 3),
    turn_vs_direct_ratio: round(percentile(totals, 50) / baseline.median, 2),
    goal_overhead_median_ms: 2,
  };
}

/**
 * The same model and tool calls with no orchestration: no session, no memory context, no events,
 * no validation beyond the tool's schema. What a turn costs when only the model and tools work.
 */
async function directBaseline(env: Setup, watch: Stopwatch): Promise<{ median: number; overheadMedian: number }> {
  const root = createAgentTree({ commerce: timedCommerce(env.commerce, watch), memoryTools: timedMemoryTools(env.memory, watch) });
  const model = timedModel(new OfflinePlanner(), watch);
  const totals: number[] = [];
  const overheads: number[] = [];
  const signal = new AbortController().signal;
  for (let turn = 0; turn < WARMUP_TURNS + MEASURED_TURNS; turn++) {
    watch.reset();
    const started = performance.now();
    let agent = root;
    const contents: ModelContent[] = [{ role: 'user', parts: [{ text: script[turn % script.length]! }] }];
    for (let step = 0; step < 8; step++) {
      const request: ModelRequest = {
        model: 'offline',
        systemInstruction: agent.instruction({ language: 'vi', userId: 'bench-b' }),
        contents,
        tools: agent.allTools().map((tool) => tool.declaration()),
        language: 'vi',
      };
      const calls: { name: string; args: unknown }[] = [];
      for await (const chunk of model.generate(request, signal)) if (chunk.type === 'function_call') calls.push(chunk.call);
      if (calls.length === 0) break;
      contents.push({ role: 'model', parts: calls.map((call) => ({ functionCall: call })) });
      const responses: ModelContent['parts'] = [];
      for (const call of calls) {
        const tool = agent.allTools().find((candidate) => candidate.name === call.name)!;
        const parsed = tool.parse(call.args);
        const result = parsed.ok
          ? await tool.execute(parsed.value, {
              userId: 'bench-b',
              sessionId: 'direct',
              runId: 'direct',
              agentName: agent.name,
              language: 'vi',
              signal,
              runState: new Map(),
            })
          : { error: parsed.message };
        if (call.name === 'transfer_to_agent') agent = agent.transferTargets().find((target) => target.name === result.transferred_to) ?? agent;
        responses.push({ functionResponse: { name: call.name, response: result } });
      }
      contents.push({ role: 'user', parts: responses });
    }
    const total = performance.now() - started;
    if (turn >= WARMUP_TURNS) {
      totals.push(total);
      overheads.push(total - watch.modelMs - watch.toolMs);
    }
  }
  totals.sort((a, b) => a - b);
  overheads.sort((a, b) => a - b);
  return { median: percentile(totals, 50), overheadMedian: percentile(overheads, 50) };
}

/** (b) Prompt tokens per turn: context policy vs full history, same conversation, same counting. */
async function contextPolicy(env: Setup): Promise<Record<string, unknown>> {
  const conversation = [
    'nhớ rằng khách thích sữa không đường',
    ...Array.from({ length: CONVERSATION_TURNS - 2 }, (_, index) => script[index % script.length]!),
    'khách thích gì?',
  ];
  const measure = async (userId: string, recentEvents: number, tokenBudget?: number) => {
    const watch = new Stopwatch();
    const agent = agentFor(env, watch, recentEvents, tokenBudget);
    env.memory.sessions.createSession({ userId, sessionId: 'conversation' });
    const tokens: number[] = [];
    let last = '';
    for (const message of conversation) {
      const turn = await runTurn(agent, userId, 'conversation', message);
      tokens.push(turn.promptTokens);
      last = turn.text;
    }
    return { tokens, recalled: last.includes('sữa không đường') };
  };
  const policy = await measure('bench-policy', 20);
  const full = await measure('bench-full', 1_000_000, Number.MAX_SAFE_INTEGER);
  const at = (tokens: number[], turn: number) => tokens[turn - 1]!;
  const mean = (tokens: number[]) => tokens.reduce((sum, value) => sum + value, 0) / tokens.length;
  return {
    turns: CONVERSATION_TURNS,
    policy_prompt_tokens_turn_200: at(policy.tokens, CONVERSATION_TURNS),
    full_history_prompt_tokens_turn_200: at(full.tokens, CONVERSATION_TURNS),
    ratio_turn_200: round(at(policy.tokens, CONVERSATION_TURNS) / at(full.tokens, CONVERSATION_TURNS), 3),
    ratio_turn_100: round(at(policy.tokens, 100) / at(full.tokens, 100), 3),
    policy_mean_prompt_tokens: Math.round(mean(policy.tokens)),
    full_history_mean_prompt_tokens: Math.round(mean(full.tokens)),
    recall_passed_policy: policy.recalled,
    recall_passed_full_history: full.recalled,
    goal_ratio_turn_200: 0.1,
    goal_met: at(policy.tokens, CONVERSATION_TURNS) / at(full.tokens, CONVERSATION_TURNS) <= 0.1 && policy.recalled,
    token_counting: 'estimated, 3 characters a token, same estimator for both policies',
  };
}

/**
 * (c) The largest request over a 200-turn conversation on the real SDK and the Gemini stand-in
 * (playing a Gemini 3 model, which checks every request: signatures, pairing, schema, and size
 * against the budget), with a 300 KB memory write at turn 3. Recall probes at the end: the
 * preference from turn 1 and the 300 KB entry's key are still in the request, and so are the last
 * staff messages. Baseline: the same conversation with the budget lifted.
 */
async function largestRequest(env: Setup): Promise<Record<string, unknown>> {
  const huge = 'Danh sách hàng khách hay mua: '.padEnd(300 * 1024, 'sữa tươi, bia Tiger, gạo ST25, nước mắm, ');
  const conversation = [
    'nhớ rằng khách thích sữa không đường',
    'tìm sữa tươi',
    'lưu danh sách hàng hay mua',
    ...Array.from({ length: CONVERSATION_TURNS - 4 }, (_, index) =>
      index % 3 === 0 ? `tìm ${['bia', 'gạo', 'nước mắm'][index % 3]!}` : `câu hỏi số ${index}`,
    ),
    'khách thích gì?',
  ];
  const scriptedModel = (body: GeminiRequestBody): StandinReply => {
    const declared = new Set((body.tools ?? []).flatMap((tool) => tool.functionDeclarations ?? []).map((fn) => fn.name));
    const last = body.contents?.at(-1)?.parts ?? [];
    if (last.some((part) => part.functionResponse)) {
      const answered = last.map((part) => (part.functionResponse as { name?: string } | undefined)?.name);
      if (answered.includes('transfer_to_agent') && declared.has('search_products'))
        return { functionCalls: [{ name: 'search_products', args: { query: 'sữa' } }] };
      return { text: 'Dạ, xong.' };
    }
    const message = String(last.findLast((part) => typeof part.text === 'string')?.text ?? '');
    if (message.startsWith('nhớ rằng')) return { functionCalls: [{ name: 'memorize', args: { key: 'sua', value: 'khách thích sữa không đường' } }] };
    if (message.startsWith('lưu danh sách')) return { functionCalls: [{ name: 'memorize', args: { key: 'hang-hay-mua', value: huge } }] };
    if (message.startsWith('tìm') && declared.has('transfer_to_agent'))
      return { functionCalls: [{ name: 'transfer_to_agent', args: { agent_name: 'product_agent' } }] };
    return { text: 'Dạ.' };
  };
  const run = async (userId: string, budget: number) => {
    const gemini = await startGeminiStandin({
      apiKey: 'bench-key',
      family: '3',
      maxRequestTokens: budget === Number.MAX_SAFE_INTEGER ? undefined : budget,
    });
    gemini.setFallback(scriptedModel);
    const client = new GeminiModelClient({ apiKey: 'bench-key', baseUrl: gemini.baseUrl });
    const agent = createAgent({
      db: env.db,
      model: () => ({ client, name: 'gemini-3-flash-preview' }),
      language: () => 'vi',
      sessions: env.memory.sessions,
      memory: env.memory.memory,
      memoryTools: Object.values(createMemoryTools(env.memory.memory)),
      commerce: env.commerce,
      tokenBudget: () => budget,
    });
    env.memory.sessions.createSession({ userId, sessionId: 'long' });
    try {
      for (const message of conversation) await runTurn(agent, userId, 'long', message);
      const sizes = gemini.requests.map((request) => JSON.stringify(request.body));
      const lastRequest = sizes.at(-1)!;
      return {
        requests: sizes.length,
        largestBytes: Math.max(...sizes.map((body) => Buffer.byteLength(body))),
        largestTokens: Math.max(...sizes.map((body) => estimateTokens(body))),
        overBudget: sizes.filter((body) => estimateTokens(body) > budget).length,
        failures: gemini.failures.length,
        probes: {
          preference_from_turn_1: lastRequest.includes('sữa không đường'),
          key_of_300kb_entry: lastRequest.includes('hang-hay-mua'),
          last_staff_messages: conversation.slice(-4, -1).every((message) => lastRequest.includes(message)),
        },
      };
    } finally {
      await agent.close();
      await gemini.close();
    }
  };
  const budgeted = await run('bench-largest', DEFAULT_TOKEN_BUDGET);
  const unbounded = await run('bench-largest-unbounded', Number.MAX_SAFE_INTEGER);
  return {
    turns: conversation.length,
    budget_tokens: DEFAULT_TOKEN_BUDGET,
    requests: budgeted.requests,
    largest_request_tokens: budgeted.largestTokens,
    largest_request_bytes: budgeted.largestBytes,
    requests_over_budget: budgeted.overBudget,
    api_rule_failures: budgeted.failures,
    recall_probes: budgeted.probes,
    baseline_no_budget_largest_request_tokens: unbounded.largestTokens,
    baseline_no_budget_largest_request_bytes: unbounded.largestBytes,
    token_counting: "estimated, 3 characters a token (the app's fixed rule) over the whole request body as sent",
    goal_met: budgeted.overBudget === 0 && budgeted.failures === 0 && Object.values(budgeted.probes).every(Boolean),
  };
}

export default async function agentBench(): Promise<Record<string, unknown>> {
  const env = await setup();
  try {
    const started = performance.now();
    const a = await overhead(env);
    const b = await contextPolicy(env);
    const c = await largestRequest(env);
    return { overhead: a, context: b, largest_request: c, runtime_s: round((performance.now() - started) / 1000, 1) };
  } finally {
    await env.close();
  }
}
