import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { chatMessageSchema, type ChatEventBody, type RunStatus } from '../../shared/contract/chat';
import { sessionIdSchema, userIdSchema, type JsonValue } from '../../shared/contract/memory';
import { AppError, toErrorShape } from '../../shared/errors';
import type { Language } from '../../shared/settings';
import { AbortScope, abortError, raceAbort } from './abort';
import { TRANSFER_TOOL_NAME, type Agent, type AgentCallbacks, type CallbackContext, type ModelResponse } from './agent';
import { composeSystemInstruction, contentsFromEvents, defaultContextPolicy, gatherMemoryContext, type ContextPolicy, type MemoryContext } from './context';
import { detectLanguage } from './language';
import { LOCAL_CALL_ID_PREFIX, type ModelClient, type ModelContent, type ModelFunctionCall, type ModelRequest, type TokenUsage } from './model';
import type { ConversationStore, MemoryContextSource, Scope, SessionEventInput } from './ports';
import type { FunctionTool, ToolContext, ToolResult } from './tool';

export interface TurnUsageRecord {
  runId: string;
  userId: string;
  sessionId: string;
  provider: ModelClient['provider'];
  model: string;
  status: RunStatus;
  modelCalls: number;
  promptTokens: number;
  outputTokens: number;
  totalTokens: number;
  estimated: boolean;
  startedAt: number;
  finishedAt: number;
}

export interface UsageRecorder {
  record(row: TurnUsageRecord): void | Promise<void>;
}

export interface RunnerOptions {
  rootAgent: Agent;
  sessions: ConversationStore;
  /** Resolved at the start of each run, so a key set in settings takes effect on the next message. */
  model: () => { client: ModelClient; name: string };
  /** Where the context policy takes the customer's memories and latest summary from. */
  memory?: MemoryContextSource;
  contextPolicy?: Partial<ContextPolicy>;
  /** Runner-wide callbacks, called before each agent's own. */
  callbacks?: AgentCallbacks[];
  usage?: UsageRecorder;
  language?: () => Language;
  /** Model calls per run (default 8); a run that needs more stops with a clear error. */
  maxSteps?: number;
  /** Default per-tool timeout (60 s). */
  toolTimeoutMs?: number;
  /** Whole-run deadline (3 min). */
  runDeadlineMs?: number;
}

export interface RunInput {
  userId: string;
  sessionId: string;
  message: string;
  signal?: AbortSignal;
}

export interface StartedRun {
  runId: string;
  provider: ModelClient['provider'];
  events: AsyncGenerator<ChatEventBody, void, undefined>;
}

const runInputSchema = z.object({ userId: userIdSchema, sessionId: sessionIdSchema, message: chatMessageSchema });

/**
 * Runs one user message through the agent tree: a bounded loop of model calls and tool calls,
 * streamed as events and appended to the session. One run per session at a time.
 */
export class Runner {
  private readonly active = new Set<string>();
  private readonly policy: ContextPolicy;
  private readonly maxSteps: number;
  private readonly toolTimeoutMs: number;
  private readonly runDeadlineMs: number;

  constructor(private readonly options: RunnerOptions) {
    this.policy = { ...defaultContextPolicy, ...options.contextPolicy };
    this.maxSteps = options.maxSteps ?? 8;
    this.toolTimeoutMs = options.toolTimeoutMs ?? 60_000;
    this.runDeadlineMs = options.runDeadlineMs ?? 180_000;
  }

  get activeRuns(): number {
    return this.active.size;
  }

  isBusy(scope: Scope): boolean {
    return this.active.has(lockKey(scope));
  }

  /** ADK-style: yields the run's events; throws before anything is written when the input is bad or the session busy. */
  async *run(input: RunInput): AsyncGenerator<ChatEventBody, void, undefined> {
    const started = await this.start(input);
    yield* started.events;
  }

  /**
   * Validates, takes the session's lock, loads the recent history and appends the user's message.
   * The caller must drain `events`: the lock is released when it finishes.
   */
  async start(input: RunInput): Promise<StartedRun> {
    const parsed = runInputSchema.safeParse(input);
    if (!parsed.success) throw new AppError('invalid_request', z.prettifyError(parsed.error));
    const scope: Scope = { userId: parsed.data.userId, sessionId: parsed.data.sessionId };
    const key = lockKey(scope);
    if (this.active.has(key)) {
      throw new AppError('busy', 'This session is still answering the previous message; wait for it or stop it first.');
    }
    this.active.add(key);
    try {
      const { events: history } = await this.options.sessions.getSession({ ...scope, numRecentEvents: this.policy.recentEvents });
      const runId = randomUUID();
      const { client, name } = this.options.model();
      await this.options.sessions.appendEvent({
        ...scope,
        event: { author: 'user', kind: 'message', content: { text: parsed.data.message }, turnId: runId },
      });
      const turn: Turn = {
        runId,
        scope,
        message: parsed.data.message,
        language: detectLanguage(parsed.data.message, this.options.language?.() ?? 'vi'),
        history: contentsFromEvents(history),
        client,
        modelName: name,
        signal: input.signal,
      };
      return { runId, provider: client.provider, events: this.execute(turn, key) };
    } catch (error) {
      this.active.delete(key);
      throw error;
    }
  }

  private async *execute(turn: Turn, key: string): AsyncGenerator<ChatEventBody, void, undefined> {
    const scope = new AbortScope(turn.signal, this.runDeadlineMs, () =>
      new AppError('timeout', `The answer took longer than ${Math.round(this.runDeadlineMs / 1000)} s and was stopped.`),
    );
    const runState = new Map<string, unknown>();
    const usage = { promptTokens: 0, outputTokens: 0, totalTokens: 0, estimated: false, modelCalls: 0 };
    const startedAt = Date.now();
    let status: RunStatus = 'completed';
    let finalText = '';
    let agent = this.options.rootAgent;
    let entered: CallbackContext | null = null;
    try {
      yield { type: 'started', agent: agent.name, mode: turn.client.provider };
      const memory: MemoryContext = this.options.memory
        ? await raceAbort(gatherMemoryContext(this.options.memory, turn.scope, turn.message, this.policy.memories), scope.signal)
        : { memories: [], summary: null };
      const current: ModelContent[] = [{ role: 'user', parts: [{ text: turn.message }] }];
      for (let step = 0; ; step++) {
        if (!entered) {
          entered = this.callbackContext(turn, agent, runState);
          const reply = await this.firstResult(agent, (callbacks) => callbacks.beforeAgent?.(entered!));
          if (reply !== undefined) {
            finalText = reply;
            yield* this.persistText(turn, agent, reply);
            break;
          }
        }
        if (step >= this.maxSteps) {
          throw new AppError('tool_error', `Stopped after ${this.maxSteps} model steps without a final answer; try a simpler request.`);
        }
        const request: ModelRequest = {
          model: agent.model ?? turn.modelName,
          systemInstruction: composeSystemInstruction(agent.instruction({ language: turn.language, userId: turn.scope.userId }), memory, turn.language),
          contents: [...turn.history, ...current],
          tools: agent.allTools().map((tool) => tool.declaration()),
          language: turn.language,
          jsonOutput: agent.jsonOutput,
        };
        const context = entered;
        let response = await this.firstResult(agent, (callbacks) => callbacks.beforeModel?.(context, request));
        if (response === undefined) {
          const streamed: ModelResponse = { text: '', functionCalls: [] };
          for await (const chunk of this.streamModel(turn, request, scope.signal)) {
            if (chunk.type === 'text') {
              streamed.text += chunk.text;
              yield { type: 'text', agent: agent.name, delta: chunk.text };
            } else if (chunk.type === 'function_call') {
              streamed.functionCalls.push(chunk.call);
            } else {
              addUsage(usage, chunk.usage);
            }
          }
          usage.modelCalls++;
          const replaced = await this.firstResult(agent, (callbacks) => callbacks.afterModel?.(context, streamed));
          response = replaced ?? streamed;
          if (replaced && replaced.text !== streamed.text) yield { type: 'text_replaced', agent: agent.name, text: replaced.text };
        } else if (response.text) {
          yield { type: 'text', agent: agent.name, delta: response.text };
        }

        const modelParts: ModelContent['parts'] = [];
        if (response.text) {
          modelParts.push({ text: response.text });
          await this.append(turn, { author: agent.name, kind: 'message', content: { text: response.text } });
        }
        if (response.functionCalls.length === 0) {
          finalText = response.text;
          break;
        }
        // Gemini omits `args` for a call without arguments; ids are made up when the model gives none.
        const calls = response.functionCalls.map((call, index) => ({ ...call, args: call.args ?? {}, id: call.id ?? `${LOCAL_CALL_ID_PREFIX}${turn.runId}-${step}-${index}` }));
        for (const call of calls) modelParts.push({ functionCall: call });
        current.push({ role: 'model', parts: modelParts });

        const responses: ModelContent['parts'] = [];
        let transferTo: Agent | null = null;
        for (const call of calls) {
          // A transfer is kept in the session as one `transfer` event; its call and result are plumbing.
          const persisted = call.name !== TRANSFER_TOOL_NAME;
          yield { type: 'tool_call', agent: agent.name, callId: call.id, name: call.name, args: call.args };
          if (persisted) {
            await this.append(turn, { author: agent.name, kind: 'tool_call', content: { id: call.id, name: call.name, args: call.args as JsonValue } });
          }
          const outcome = await this.callTool(turn, agent, context, call, scope.signal, runState);
          yield { type: 'tool_result', agent: agent.name, callId: call.id, name: call.name, ok: outcome.ok, result: outcome.result };
          if (persisted) {
            await this.append(turn, {
              author: agent.name,
              kind: 'tool_result',
              content: { id: call.id, name: call.name, response: outcome.result as JsonValue },
            });
          }
          responses.push({ functionResponse: { id: call.id, name: call.name, response: outcome.result } });
          if (call.name === TRANSFER_TOOL_NAME && outcome.ok) {
            transferTo = agent.transferTargets().find((target) => target.name === outcome.result.transferred_to) ?? null;
          }
        }
        current.push({ role: 'user', parts: responses });
        if (transferTo && transferTo !== agent) {
          await this.leaveAgent(agent, context, '');
          entered = null;
          yield { type: 'transfer', from: agent.name, to: transferTo.name };
          await this.append(turn, { author: agent.name, kind: 'transfer', content: { from: agent.name, to: transferTo.name } });
          agent = transferTo;
        }
      }
    } catch (error) {
      const failure = scope.signal.aborted ? abortError(scope.signal) : error;
      const shape = toErrorShape(failure);
      status = shape.code === 'cancelled' ? 'cancelled' : 'failed';
      yield { type: 'error', error: shape };
      await this.append(turn, { author: agent.name, kind: 'error', content: { code: shape.code, message: shape.message } }).catch(() => {});
    } finally {
      scope.dispose();
      runState.clear();
      this.active.delete(key);
    }
    if (entered) {
      const replaced = await this.leaveAgent(agent, entered, finalText);
      if (replaced !== undefined && status === 'completed') {
        finalText = replaced;
        yield { type: 'text_replaced', agent: agent.name, text: replaced };
        await this.append(turn, { author: agent.name, kind: 'message', content: { text: replaced } });
      }
    }
    yield { type: 'usage', ...usage };
    await this.recordUsage(turn, status, usage, startedAt);
    yield { type: 'done', status, text: finalText };
  }

  private async *streamModel(turn: Turn, request: ModelRequest, signal: AbortSignal) {
    if (signal.aborted) throw abortError(signal);
    for await (const chunk of turn.client.generate(request, signal)) {
      if (signal.aborted) throw abortError(signal);
      yield chunk;
    }
    if (signal.aborted) throw abortError(signal);
  }

  private async *persistText(turn: Turn, agent: Agent, text: string): AsyncGenerator<ChatEventBody, void, undefined> {
    yield { type: 'text', agent: agent.name, delta: text };
    await this.append(turn, { author: agent.name, kind: 'message', content: { text } });
  }

  /**
   * Validates the model's arguments and runs the tool under its timeout. Bad arguments, unknown
   * tools and tool failures become an error result the model reads; only cancel and the run
   * deadline end the run.
   */
  private async callTool(
    turn: Turn,
    agent: Agent,
    context: CallbackContext,
    call: ModelFunctionCall & { id: string },
    runSignal: AbortSignal,
    runState: Map<string, unknown>,
  ): Promise<{ ok: boolean; result: ToolResult }> {
    const tool = agent.allTools().find((candidate) => candidate.name === call.name);
    if (!tool) return failure('unknown_tool', `There is no tool named ${call.name}; use only the declared tools.`);
    const parsed = tool.parse(call.args);
    if (!parsed.ok) return failure('invalid_arguments', `Arguments for ${tool.name} are invalid: ${parsed.message}`);
    const before = await this.firstResult(agent, (callbacks) => callbacks.beforeTool?.(context, tool, parsed.value));
    let result: ToolResult;
    if (before !== undefined) {
      result = before;
    } else {
      const outcome = await this.executeTool(turn, agent, tool, parsed.value, runSignal, runState);
      if (!outcome.ok) return outcome;
      result = outcome.result;
    }
    const after = await this.firstResult(agent, (callbacks) => callbacks.afterTool?.(context, tool, parsed.value, result));
    return { ok: true, result: after ?? result };
  }

  private async executeTool(
    turn: Turn,
    agent: Agent,
    tool: FunctionTool,
    args: unknown,
    runSignal: AbortSignal,
    runState: Map<string, unknown>,
  ): Promise<{ ok: boolean; result: ToolResult }> {
    const timeoutMs = tool.timeoutMs ?? this.toolTimeoutMs;
    const toolScope = new AbortScope(runSignal, timeoutMs, () =>
      new AppError('timeout', `${tool.name} did not finish within ${Math.round(timeoutMs / 1000)} s.`),
    );
    const toolContext: ToolContext = {
      userId: turn.scope.userId,
      sessionId: turn.scope.sessionId,
      runId: turn.runId,
      agentName: agent.name,
      language: turn.language,
      signal: toolScope.signal,
      runState,
    };
    try {
      if (toolScope.signal.aborted) throw abortError(toolScope.signal);
      const result = await raceAbort(Promise.resolve().then(() => tool.execute(args, toolContext)), toolScope.signal);
      return { ok: true, result };
    } catch (error) {
      if (runSignal.aborted) throw abortError(runSignal);
      const shape = toErrorShape(error);
      return failure(shape.code, shape.message);
    } finally {
      toolScope.dispose();
    }
  }

  private callbackContext(turn: Turn, agent: Agent, runState: Map<string, unknown>): CallbackContext {
    return { agent, userId: turn.scope.userId, sessionId: turn.scope.sessionId, runId: turn.runId, language: turn.language, runState };
  }

  private leaveAgent(agent: Agent, context: CallbackContext, reply: string): Promise<string | undefined> {
    return this.firstResult(agent, (callbacks) => callbacks.afterAgent?.(context, reply));
  }

  /** Runner-wide callbacks first, then the agent's; the first non-undefined result wins. */
  private async firstResult<T>(
    agent: Agent,
    invoke: (callbacks: AgentCallbacks) => T | undefined | Promise<T | undefined>,
  ): Promise<T | undefined> {
    for (const callbacks of [...(this.options.callbacks ?? []), ...agent.callbacks]) {
      const result = await invoke(callbacks);
      if (result !== undefined) return result;
    }
    return undefined;
  }

  private async append(turn: Turn, event: Omit<SessionEventInput, 'turnId'>): Promise<void> {
    await this.options.sessions.appendEvent({ ...turn.scope, event: { ...event, turnId: turn.runId } });
  }

  private async recordUsage(turn: Turn, status: RunStatus, usage: UsageTotals, startedAt: number): Promise<void> {
    if (!this.options.usage) return;
    try {
      await this.options.usage.record({
        runId: turn.runId,
        userId: turn.scope.userId,
        sessionId: turn.scope.sessionId,
        provider: turn.client.provider,
        model: turn.modelName,
        status,
        ...usage,
        startedAt,
        finishedAt: Date.now(),
      });
    } catch {
      // Usage accounting must never fail the answer the staff member is waiting for.
    }
  }
}

interface Turn {
  runId: string;
  scope: Scope;
  message: string;
  language: Language;
  history: ModelContent[];
  client: ModelClient;
  modelName: string;
  signal: AbortSignal | undefined;
}

type UsageTotals = TokenUsage & { modelCalls: number };

function addUsage(total: UsageTotals, usage: TokenUsage): void {
  total.promptTokens += usage.promptTokens;
  total.outputTokens += usage.outputTokens;
  total.totalTokens += usage.totalTokens;
  total.estimated ||= usage.estimated;
}

function failure(code: string, message: string): { ok: false; result: ToolResult } {
  return { ok: false, result: { error: { code, message } } };
}

function lockKey(scope: Scope): string {
  return `${scope.userId}\u0000${scope.sessionId}`;
}
