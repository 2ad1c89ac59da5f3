/**
 * `npm run check:gemini` — a short real conversation against the real Gemini API, to see that
 * what the app sends is what the API accepts. Needs `GEMINI_API_KEY` (and `GEMINI_BASE_URL` for a
 * gateway); without a key it says so in one line and exits 0. Not part of `npm test`.
 *
 * Covers: every agent's declarations accepted (one request per agent), a function-call round
 * trip with a 3-series model over two turns (thought signatures replayed within the turn and in
 * the next one), streaming (text arrives in several chunks), and a cancel that ends the request.
 * Runs the app's own services (SQLite in a temporary folder, the built-in demo store).
 * `GEMINI_CHECK_MODEL` picks the model (default: the app's default, a 3-series model).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAgentTree, createSummarizerAgent } from '../src/main/agent/agents';
import type { Agent } from '../src/main/agent/agent';
import { GeminiModelClient } from '../src/main/agent/geminiClient';
import { createServices, type Services } from '../src/main/app/services';
import { createMemoryTools } from '../src/main/memory/tools';
import { ProcessSecretStore } from '../src/main/settings/secretStore';
import type { ChatEvent, ChatSendResult } from '@shared/contract/chat';
import { defaultSettings } from '@shared/settings';

const apiKey = process.env.GEMINI_API_KEY?.trim();
if (!apiKey) {
  console.log('check:gemini: GEMINI_API_KEY is not set, so there is nothing to check against the real API.');
  process.exit(0);
}
const model = process.env.GEMINI_CHECK_MODEL?.trim() || defaultSettings.model;
const baseUrl = process.env.GEMINI_BASE_URL?.trim() || undefined;
const results: { check: string; ok: boolean; detail: string }[] = [];
const record = (check: string, ok: boolean, detail: string) => {
  results.push({ check, ok, detail });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${check}: ${detail}`);
};

async function declarations(): Promise<void> {
  const client = new GeminiModelClient({ apiKey: apiKey!, ...(baseUrl ? { baseUrl } : {}) });
  const agents: Agent[] = [];
  const visit = (agent: Agent) => {
    agents.push(agent);
    agent.subAgents.forEach(visit);
  };
  visit(createAgentTree({ commerce: {} as never, memoryTools: Object.values(createMemoryTools({} as never)) }));
  visit(createSummarizerAgent());
  for (const agent of agents) {
    const tools = agent.allTools().map((tool) => tool.declaration());
    try {
      for await (const chunk of client.generate(
        {
          model,
          systemInstruction: agent.instruction({ language: 'vi', userId: 'check' }),
          contents: [{ role: 'user', parts: [{ text: 'Xin chào, chỉ trả lời "chào" thôi.' }] }],
          tools,
          language: 'vi',
          ...(agent.jsonOutput ? { jsonOutput: true } : {}),
        },
        new AbortController().signal,
      )) {
        void chunk;
      }
      record(`declarations of ${agent.name}`, true, `${tools.length} declaration(s) accepted: ${tools.map((tool) => tool.name).join(', ')}`);
    } catch (error) {
      record(`declarations of ${agent.name}`, false, error instanceof Error ? error.message : String(error));
    }
  }
}

function listen(services: Services): (runId: string, onEvent?: (event: ChatEvent) => void) => Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  const waiters = new Map<string, { resolve: () => void; onEvent?: (event: ChatEvent) => void }>();
  services.events.subscribe((name, payload) => {
    if (name !== 'chat.event') return;
    const event = payload as ChatEvent;
    events.push(event);
    waiters.get(event.runId)?.onEvent?.(event);
    if (event.type === 'done') waiters.get(event.runId)?.resolve();
  });
  return (runId, onEvent) => {
    const mine = () => events.filter((event) => event.runId === runId);
    if (mine().some((event) => event.type === 'done')) return Promise.resolve(mine());
    mine().forEach((event) => onEvent?.(event));
    return new Promise((resolve) => waiters.set(runId, { resolve: () => resolve(mine()), ...(onEvent ? { onEvent } : {}) }));
  };
}

async function conversation(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-check-gemini-'));
  const services = await createServices({
    userDataDir: dir,
    mode: 'bridge',
    version: 'check',
    createSecretStore: () => new ProcessSecretStore(apiKey),
    settingsOverrides: { demoStore: true, model, ...(baseUrl ? { modelEndpoint: baseUrl } : {}) },
    env: {},
  });
  const finished = listen(services);
  const send = async (message: string, sessionId?: string) => {
    const sent = await services.dispatch(
      'chat.send',
      { userId: 'check-customer', message, ...(sessionId ? { sessionId } : {}) },
      { transport: 'test' },
    );
    if (!sent.ok) throw new Error(`${sent.error.code}: ${sent.error.message}`);
    return sent.value as ChatSendResult;
  };
  const summary = (events: ChatEvent[]) => {
    const done = events.at(-1);
    const error = events.find((event) => event.type === 'error');
    return {
      status: done?.type === 'done' ? done.status : 'unknown',
      tools: events.flatMap((event) => (event.type === 'tool_call' ? [event.name] : [])),
      textChunks: events.filter((event) => event.type === 'text').length,
      error: error?.type === 'error' ? `${error.error.code}: ${error.error.message}` : null,
    };
  };
  try {
    const first = await send('tìm sữa tươi Vinamilk');
    const one = summary(await finished(first.runId));
    record(
      'function-call round trip',
      one.status === 'completed' && one.tools.length > 0,
      `${one.status}; tools ${one.tools.join(' → ') || 'none'}${one.error ? `; ${one.error}` : ''}`,
    );
    record('streaming', one.textChunks > 1, `${one.textChunks} text chunk(s) in the answer`);
    const second = await send('thêm 1 sản phẩm đầu tiên vào giỏ hàng', first.sessionId);
    const two = summary(await finished(second.runId));
    record(
      'thought signatures replayed in the next turn',
      two.status === 'completed',
      `${two.status}; tools ${two.tools.join(' → ') || 'none'}${two.error ? `; ${two.error}` : ''}`,
    );
    const long = await send('Viết một đoạn thật dài, khoảng 600 từ, giới thiệu các loại sữa ở MM Mega Market.', first.sessionId);
    const started = Date.now();
    let cancelledAfterMs = 0;
    const three = summary(
      await finished(long.runId, (event) => {
        if (event.type === 'text' && cancelledAfterMs === 0) {
          cancelledAfterMs = Date.now() - started;
          void services.dispatch('chat.cancel', { runId: long.runId }, { transport: 'test' });
        }
      }),
    );
    record('cancel', three.status === 'cancelled', `${three.status} ${Date.now() - started - cancelledAfterMs} ms after the cancel`);
  } finally {
    await services.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`check:gemini: model ${model}${baseUrl ? ` through ${baseUrl}` : ''}`);
await declarations();
await conversation();
const failed = results.filter((result) => !result.ok).length;
console.log(JSON.stringify({ check: 'gemini', model, passed: results.length - failed, failed }));
process.exit(failed === 0 ? 0 : 1);
