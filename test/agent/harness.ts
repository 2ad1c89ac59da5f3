/**
 * The orchestrator on real parts: the memory services on a real SQLite file (with a clock the test
 * moves), the commerce client on the stand-in Magento store, and — in `gemini` mode — the real
 * `@google/genai` SDK on the Gemini stand-in. Only Gemini itself and the store are stand-ins.
 */
import { createAgent, type AgentModule } from '../../src/main/agent';
import type { AgentCallbacks } from '../../src/main/agent/agent';
import { createModelResolver } from '../../src/main/agent/modelResolver';
import type { RunnerOptions } from '../../src/main/agent/runner';
import type { Logger } from '../../src/main/core/logger';
import { startGeminiStandin, type GeminiStandin } from '../helpers/geminiStandin';
import type { CommerceClient } from '../../src/main/commerce/client';
import { createMemoryTools } from '../../src/main/memory/tools';
import type { ChatEventBody, RunStatus } from '@shared/contract/chat';
import type { AppErrorShape } from '@shared/errors';
import type { Language } from '@shared/settings';
import { clientFor, startStandin } from '../commerce/helpers';
import { ManualClock, openMemory, type OpenedMemory } from '../memory/helpers';
import { tempDir } from '../helpers/tempDir';
import type { StoreStandin } from '../helpers/storeStandin';

export const GEMINI_KEY = 'standin-key-0123456789abcdef';
export type Mode = 'offline' | 'gemini';

export interface TurnResult {
  events: ChatEventBody[];
  text: string;
  status: RunStatus;
  /** Tool names in call order, transfers included. */
  tools: string[];
  results: Extract<ChatEventBody, { type: 'tool_result' }>[];
  error: AppErrorShape | undefined;
  usage: Extract<ChatEventBody, { type: 'usage' }> | undefined;
}

export interface AgentHarness {
  readonly dir: string;
  readonly memory: OpenedMemory;
  readonly clock: ManualClock;
  readonly store: StoreStandin;
  readonly commerce: CommerceClient;
  readonly gemini: GeminiStandin;
  readonly agent: AgentModule;
  mode: Mode;
  language: Language;
  /** Creates the session when it does not exist yet. */
  session(userId: string, sessionId: string): void;
  say(userId: string, sessionId: string, message: string, signal?: AbortSignal): Promise<TurnResult>;
  /** Reopens the memory services on the same file (the hot tier starts empty: everything comes from SQLite). */
  restartMemory(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  mode?: Mode;
  /** The Gemini family the stand-in plays (default 3, which insists on thought signatures). */
  family?: '3' | '2.5';
  /** Token budget of one request; the stand-in fails any request over it. */
  tokenBudget?: number;
  callbacks?: AgentCallbacks[];
  limits?: Pick<RunnerOptions, 'maxSteps' | 'toolTimeoutMs' | 'runDeadlineMs' | 'contextPolicy'>;
  /** The agent's logger (the runner and the Gemini client), as the composition root passes it. */
  logger?: Logger;
}

export async function startHarness(options: HarnessOptions = {}): Promise<AgentHarness> {
  const dir = tempDir('mm-agent-');
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 8, 0, 0));
  const store = await startStandin();
  const commerce = clientFor(store);
  const gemini = await startGeminiStandin({
    apiKey: GEMINI_KEY,
    ...(options.family ? { family: options.family } : {}),
    ...(options.tokenBudget ? { maxRequestTokens: options.tokenBudget } : {}),
  });
  const state = { mode: options.mode ?? 'offline', language: 'vi' as Language };
  const models = createModelResolver(
    { apiKey: () => (state.mode === 'gemini' ? GEMINI_KEY : null), get: () => ({ model: 'gemini-2.5-flash' }) },
    { GEMINI_BASE_URL: gemini.baseUrl },
    { attempts: 2, initialDelaySeconds: 0.01, maxDelaySeconds: 0.02 },
    options.logger,
  );
  let memory = openMemory(dir, { clock });
  let agent = build();

  function build(): AgentModule {
    return createAgent({
      db: memory.db,
      model: models,
      language: () => state.language,
      sessions: memory.sessions,
      memory: memory.memory,
      memoryTools: Object.values(createMemoryTools(memory.memory)),
      commerce,
      ...(options.callbacks ? { callbacks: options.callbacks } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.tokenBudget ? { tokenBudget: () => options.tokenBudget! } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  const harness: AgentHarness = {
    dir,
    clock,
    store,
    commerce,
    gemini,
    get memory() {
      return memory;
    },
    get agent() {
      return agent;
    },
    get mode() {
      return state.mode;
    },
    set mode(mode: Mode) {
      state.mode = mode;
    },
    get language() {
      return state.language;
    },
    set language(language: Language) {
      state.language = language;
    },
    session(userId, sessionId) {
      const existing = memory.sessions.listSessions({ userId }).some((view) => view.sessionId === sessionId);
      if (!existing) memory.sessions.createSession({ userId, sessionId });
    },
    async say(userId, sessionId, message, signal) {
      const events: ChatEventBody[] = [];
      for await (const event of agent.runner.run({ userId, sessionId, message, ...(signal ? { signal } : {}) })) events.push(event);
      return summarizeTurn(events);
    },
    async restartMemory() {
      await agent.close();
      await memory.shutdown();
      memory = openMemory(dir, { clock });
      agent = build();
    },
    async close() {
      await agent.close();
      await memory.shutdown();
      await gemini.close();
    },
  };
  return harness;
}

export function summarizeTurn(events: ChatEventBody[]): TurnResult {
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error(`the run did not end with done: ${JSON.stringify(done)}`);
  return {
    events,
    text: done.text,
    status: done.status,
    tools: events.flatMap((event) => (event.type === 'tool_call' ? [event.name] : [])),
    results: events.filter((event): event is Extract<ChatEventBody, { type: 'tool_result' }> => event.type === 'tool_result'),
    error: events.find((event): event is Extract<ChatEventBody, { type: 'error' }> => event.type === 'error')?.error,
    usage: events.find((event): event is Extract<ChatEventBody, { type: 'usage' }> => event.type === 'usage'),
  };
}
