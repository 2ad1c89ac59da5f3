import type { Language } from '@shared/settings';
import type { Logger } from '../core/logger';
import type { Db } from '../storage/database';
import type { AgentCallbacks } from './agent';
import { createAgentTree } from './agents';
import { ChatService } from './chatService';
import { createChatHandlers } from './handlers';
import type { ResolvedModel } from './modelResolver';
import type { CommercePort, ConversationStore, MemoryContextSource, MemoryToolSpec } from './ports';
import { Runner, type RunnerOptions } from './runner';
import { SqliteUsageRecorder } from './usageStore';

export interface AgentModule {
  readonly runner: Runner;
  readonly chat: ChatService;
  readonly usage: SqliteUsageRecorder;
  readonly handlers: ReturnType<typeof createChatHandlers>;
  /** Cancels running runs and waits for them to end. */
  close(): Promise<void>;
}

export interface AgentDeps {
  db: Db;
  model: () => ResolvedModel;
  language: () => Language;
  sessions: ConversationStore;
  memory: MemoryContextSource;
  memoryTools: readonly MemoryToolSpec[];
  commerce: CommercePort;
  callbacks?: AgentCallbacks[];
  /** Limits (steps, timeouts, context policy); the defaults suit the app. */
  limits?: Pick<RunnerOptions, 'maxSteps' | 'toolTimeoutMs' | 'runDeadlineMs' | 'contextPolicy'>;
  /** Token budget of one model request (from settings). */
  tokenBudget?: () => number;
  /** The `agent` child logger: runs, tools, calibration; never what was said. */
  logger?: Logger;
}

/** The orchestrator: the agent tree on a runner, with per-turn usage in SQLite and the chat channels. */
export function createAgent(deps: AgentDeps): AgentModule {
  const usage = new SqliteUsageRecorder(deps.db);
  const runner = new Runner({
    rootAgent: createAgentTree({ commerce: deps.commerce, memoryTools: deps.memoryTools }),
    sessions: deps.sessions,
    memory: deps.memory,
    model: deps.model,
    language: deps.language,
    usage,
    ...(deps.callbacks ? { callbacks: deps.callbacks } : {}),
    ...(deps.tokenBudget ? { tokenBudget: deps.tokenBudget } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...deps.limits,
  });
  const chat = new ChatService(runner, deps.sessions, deps.logger);
  return { runner, chat, usage, handlers: createChatHandlers(chat), close: () => chat.close() };
}

export { createChatHandlers } from './handlers';
export { createModelResolver } from './modelResolver';
export { ModelSummarizer } from './summarizer';
