import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { chatMessageSchema, runIdSchema, type ChatEventBody, type RunStatus } from '@shared/contract/chat';
import { sessionIdSchema, userIdSchema, type JsonValue } from '@shared/contract/memory';
import { AppError, toErrorShape } from '@shared/errors';
import type { Language } from '@shared/settings';
import { errorFacts, silentLogger, type Logger } from '../core/logger';
import { AbortScope, abortError, raceAbort } from './abort';
import { TRANSFER_TOOL_NAME, type Agent, type AgentCallbacks, type CallbackContext, type ModelResponse } from './agent';
import { DEFAULT_TOKEN_BUDGET, fitRequest, TokenEstimator } from './budget';
import {
  composeSystemInstruction,
  contentsFromEvents,
  defaultContextPolicy,
  gatherMemoryContext,
  joinContents,
  type ContextPolicy,
  type MemoryContext,
} from './context';
import { resultForModel } from './forModel';
import { detectLanguage } from './language';
import {
  INJECTED_CALL_SIGNATURE,
  LOCAL_CALL_ID_PREFIX,
  type ModelClient,
  type ModelContent,
  type ModelFunctionCall,
  type ModelPart,
  type ModelRequest,
  type TokenUsage,
} from './model';
import type { ConversationStore, MemoryContextSource, Scope, SessionEventInput } from './ports';
import type { FunctionTool, ToolContext, ToolNotice, ToolResult } from './tool';
import { ToolNotices } from './toolNotices';

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
  /** Whether a run with this id was recorded, by this process or an earlier one. */
  knows(runId: string): boolean;
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
  /** Token budget of one model request (settings); the context is fitted to it. */
  tokenBudget?: () => number;
  /**
   * How each run ended (run id, status, error code, provider, model, counts, duration), failed
   * tools and calibration. Never the staff's message, tool arguments or results, nor the customer
   * or session id: they are customer data.
   */
  logger?: Logger;
}

export interface RunInput {
  userId: string;
  sessionId: string;
  message: string;
  /**
   * The run's id, a fresh UUID: chosen by a caller that must know it before the first event (the
   * renderer, through `chat.send`), else made up here. An id in use, or used recently, is refused (`conflict`).
   */
  runId?: string;
  /** Cancels the run when it aborts (as `cancel` does). */
  signal?: AbortSignal;
}

/** A run from `start` until its events end, as the runner's registry lists it. */
export interface ActiveRun {
  readonly runId: string;
  readonly scope: Scope;
  /** Resolves once the run's events have ended (its last event, `done`, has been taken). */
  readonly finished: Promise<void>;
}

export interface StartedRun {
  runId: string;
  provider: ModelClient['provider'];
  events: AsyncGenerator<ChatEventBody, void, undefined>;
}

const runInputSchema = z.object({ userId: userIdSchema, sessionId: sessionIdSchema, message: chatMessageSchema, runId: runIdSchema.optional() });

/** How many run ids are remembered after their runs end, so a repeated id is refused then too. */
const REMEMBERED_RUN_IDS = 10_000;

interface RegisteredRun extends ActiveRun {
  /** The session lock the run holds. */
  readonly key: string;
  /** Aborted by `cancel` and by the caller's signal; the run's own deadline scope follows it. */
  readonly controller: AbortController;
  /** Stops following the caller's signal. */
  readonly detach: () => void;
  readonly settle: () => void;
}

/**
 * Runs one user message through the agent tree: a bounded loop of model calls and tool calls,
 * streamed as events and appended to the session. One run per session at a time.
 */
export class Runner {
  /** The one registry of running runs, by run id: a session is busy while one of its runs is here. */
  private readonly running = new Map<string, RegisteredRun>();
  /** Ids of recent runs, running or ended, oldest first (at most REMEMBERED_RUN_IDS). */
  private readonly usedRunIds = new Set<string>();
  private readonly policy: ContextPolicy;
  private readonly maxSteps: number;
  private readonly toolTimeoutMs: number;
  private readonly runDeadlineMs: number;
  /** Token counts for the budget, calibrated per model by `countTokens` when the model offers it. */
  readonly estimator = new TokenEstimator();
  private readonly log: Logger;

  constructor(private readonly options: RunnerOptions) {
    this.log = options.logger ?? silentLogger();
    this.policy = { ...defaultContextPolicy, ...options.contextPolicy };
    this.maxSteps = options.maxSteps ?? 8;
    this.toolTimeoutMs = options.toolTimeoutMs ?? 60_000;
    this.runDeadlineMs = options.runDeadlineMs ?? 180_000;
  }

  get activeRuns(): number {
    return this.running.size;
  }

  /** The runs started and not ended yet. */
  runs(): ActiveRun[] {
    return [...this.running.values()];
  }

  /** The running run with this id, if any. */
  find(runId: string): ActiveRun | undefined {
    return this.running.get(runId);
  }

  isBusy(scope: Scope): boolean {
    const key = lockKey(scope);
    for (const run of this.running.values()) if (run.key === key) return true;
    return false;
  }

  /** Whether `runId` may name a new run: not running, not used recently, and not recorded before (also before a restart). */
  isFreshRunId(runId: string): boolean {
    return !this.running.has(runId) && !this.usedRunIds.has(runId) && !(this.options.usage?.knows(runId) ?? false);
  }

  /**
   * Stops a run's model stream and pending tool calls; its events still end with `error` and `done`
   * (status `cancelled` for a typed `cancelled` reason). False when no run with this id is running.
   */
  cancel(runId: string, reason: AppError): boolean {
    const run = this.running.get(runId);
    if (!run) return false;
    run.controller.abort(reason);
    return true;
  }

  /** ADK-style: yields the run's events; throws before anything is written when the input is bad or the session busy. */
  async *run(input: RunInput): AsyncGenerator<ChatEventBody, void, undefined> {
    const started = await this.start(input);
    yield* started.events;
  }

  /**
   * Validates, registers the run (which takes the session's lock), loads the recent history and
   * appends the user's message. The caller must drain `events`: the run leaves the registry, and
   * the session's lock is released, when they end.
   */
  async start(input: RunInput): Promise<StartedRun> {
    const parsed = runInputSchema.safeParse(input);
    if (!parsed.success) throw new AppError('invalid_request', z.prettifyError(parsed.error));
    const scope: Scope = { userId: parsed.data.userId, sessionId: parsed.data.sessionId };
    const runId = parsed.data.runId ?? randomUUID();
    if (!this.isFreshRunId(runId)) throw new AppError('conflict', 'This run id is already in use; every message needs a new one.');
    if (this.isBusy(scope)) {
      throw new AppError('busy', 'This session is still answering the previous message; wait for it or stop it first.');
    }
    const registered = this.register(runId, scope, input.signal);
    try {
      const { events: history } = await this.options.sessions.getSession({ ...scope, numRecentEvents: this.policy.recentEvents });
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
        signal: registered.controller.signal,
      };
      this.calibrate(turn);
      return { runId, provider: client.provider, events: this.tracked(registered, this.execute(turn)) };
    } catch (error) {
      // Not started: the lock is given back and the caller gets the error (the dispatcher logs it).
      this.unregister(registered);
      throw error;
    }
  }

  private register(runId: string, scope: Scope, signal: AbortSignal | undefined): RegisteredRun {
    const controller = new AbortController();
    const follow = () => controller.abort(signal?.reason);
    if (signal?.aborted) follow();
    else signal?.addEventListener('abort', follow, { once: true });
    let settle = () => {};
    const finished = new Promise<void>((resolve) => (settle = resolve));
    const run: RegisteredRun = {
      runId,
      scope,
      finished,
      key: lockKey(scope),
      controller,
      detach: () => signal?.removeEventListener('abort', follow),
      settle,
    };
    this.running.set(runId, run);
    this.usedRunIds.add(runId);
    if (this.usedRunIds.size > REMEMBERED_RUN_IDS) this.usedRunIds.delete(this.usedRunIds.values().next().value!);
    return run;
  }

  private unregister(run: RegisteredRun): void {
    run.detach();
    this.running.delete(run.runId);
    run.settle();
  }

  /** The run's events; when they end (or the caller stops taking them) the run leaves the registry. */
  private async *tracked(run: RegisteredRun, events: AsyncGenerator<ChatEventBody, void, undefined>): AsyncGenerator<ChatEventBody, void, undefined> {
    try {
      yield* events;
    } finally {
      this.unregister(run);
    }
  }

  private async *execute(turn: Turn): AsyncGenerator<ChatEventBody, void, undefined> {
    const scope = new AbortScope(
      turn.signal,
      this.runDeadlineMs,
      () => new AppError('timeout', `The answer took longer than ${Math.round(this.runDeadlineMs / 1000)} s and was stopped.`),
    );
    const run: RunState = {
      agent: this.options.rootAgent,
      entered: null,
      current: [{ role: 'user', parts: [{ text: turn.message }] }],
      unanswered: [],
      usage: { promptTokens: 0, outputTokens: 0, totalTokens: 0, cachedTokens: 0, estimated: false, modelCalls: 0 },
      runState: new Map<string, unknown>(),
    };
    const startedAt = Date.now();
    let status: RunStatus = 'completed';
    let runError: unknown = null;
    let finalText = '';
    try {
      yield { type: 'started', agent: run.agent.name, mode: turn.client.provider };
      const memory: MemoryContext = this.options.memory
        ? await raceAbort(gatherMemoryContext(this.options.memory, turn.scope, turn.message, this.policy.memories), scope.signal)
        : { memories: [], summary: null };
      for (let step = 0; ; step++) {
        if (!run.entered) {
          const entered = this.callbackContext(turn, run.agent, run.runState);
          run.entered = entered;
          const reply = await this.firstResult(run.agent, (callbacks) => callbacks.beforeAgent?.(entered));
          if (reply !== undefined) {
            finalText = reply;
            yield { type: 'text', agent: run.agent.name, delta: reply };
            await this.append(turn, { author: run.agent.name, kind: 'message', content: { text: reply } });
            break;
          }
        }
        if (step >= this.maxSteps) {
          throw new AppError('tool_error', `Stopped after ${this.maxSteps} model steps without a final answer; try a simpler request.`);
        }
        const request = this.buildRequest(turn, run.agent, memory, run.current);
        const response = yield* this.modelStep(turn, run, request, step, scope.signal);
        if (response.functionCalls.length === 0) {
          finalText = response.text;
          break;
        }
        yield* this.toolStep(turn, run, response, scope.signal);
      }
    } catch (error) {
      runError = scope.signal.aborted ? abortError(scope.signal) : error;
      const shape = toErrorShape(runError);
      status = shape.code === 'cancelled' ? 'cancelled' : 'failed';
      yield { type: 'error', error: shape };
      // The run ends either way; a history left with an unanswered call is repaired when it is read back (contentsFromEvents).
      await this.closeUnanswered(turn, run, shape.code).catch((closing: unknown) => this.logHistoryFault(turn, closing));
      await this.append(turn, { author: run.agent.name, kind: 'error', content: { code: shape.code, message: shape.message } }).catch(
        (closing: unknown) => this.logHistoryFault(turn, closing),
      );
    } finally {
      scope.dispose();
      run.runState.clear();
    }
    if (run.entered) {
      const replaced = await this.leaveAgent(run.agent, run.entered, finalText);
      if (replaced !== undefined && status === 'completed') {
        finalText = replaced;
        yield { type: 'text_replaced', agent: run.agent.name, text: replaced };
        await this.append(turn, { author: run.agent.name, kind: 'message', content: { text: replaced } });
      }
    }
    yield { type: 'usage', ...run.usage };
    await this.recordUsage(turn, status, run.usage, startedAt);
    this.logEnd(turn, run, status, runError, startedAt);
    yield { type: 'done', status, text: finalText };
  }

  /** One line per run: how it ended, on which model, in how many steps and how long. Never what was said. */
  private logEnd(turn: Turn, run: RunState, status: RunStatus, runError: unknown, startedAt: number): void {
    const fields = {
      runId: turn.runId,
      status,
      provider: turn.client.provider,
      model: turn.modelName,
      agent: run.agent.name,
      modelCalls: run.usage.modelCalls,
      totalTokens: run.usage.totalTokens,
      durationMs: Date.now() - startedAt,
    };
    if (status === 'completed') this.log.info(fields, 'run completed');
    else if (status === 'cancelled') this.log.info({ ...fields, ...errorFacts(runError) }, 'run cancelled');
    else {
      const facts = errorFacts(runError);
      // A typed failure (the model down, a deadline, too many steps) is a warning; anything else is a fault in the app.
      if (facts.errorType === 'AppError') this.log.warn({ ...fields, ...facts }, 'run failed');
      else this.log.error({ ...fields, ...facts }, 'run failed');
    }
  }

  private logHistoryFault(turn: Turn, error: unknown): void {
    this.log.error({ runId: turn.runId, ...errorFacts(error) }, "a failed run's end could not be written to the session");
  }

  /** The request for the agent's next model call, fitted to the token budget. */
  private buildRequest(turn: Turn, agent: Agent, memory: MemoryContext, current: readonly ModelContent[]): ModelRequest {
    const model = agent.model ?? turn.modelName;
    const instruction = agent.instruction({ language: turn.language, userId: turn.scope.userId });
    const tools = agent.allTools().map((tool) => tool.declaration());
    const fitted = fitRequest({
      budgetTokens: this.options.tokenBudget?.() ?? DEFAULT_TOKEN_BUDGET,
      tokens: (text) => this.estimator.tokens(model, text),
      instruction,
      compose: (fittedMemory) => composeSystemInstruction(instruction, fittedMemory, turn.language),
      tools,
      memory,
      history: turn.history,
      current,
    });
    return {
      model,
      systemInstruction: fitted.systemInstruction,
      customerContext: fitted.memory,
      contents: joinContents(fitted.history, fitted.current),
      tools,
      language: turn.language,
      ...(agent.jsonOutput ? { jsonOutput: true } : {}),
    };
  }

  /**
   * One model call: streams its text, collects its parts exactly as received (signatures
   * included), lets the callbacks replace it, and appends the parts to the session in order.
   */
  private async *modelStep(
    turn: Turn,
    run: RunState,
    request: ModelRequest,
    step: number,
    signal: AbortSignal,
  ): AsyncGenerator<ChatEventBody, ModelResponse, undefined> {
    const agent = run.agent;
    const context = run.entered!;
    const callId = (index: number) => `${LOCAL_CALL_ID_PREFIX}${turn.runId}-${step}-${index}`;
    let response = await this.firstResult(agent, (callbacks) => callbacks.beforeModel?.(context, request));
    if (response === undefined) {
      const collected = new ModelTurnCollector(callId);
      for await (const chunk of this.streamModel(turn, request, signal)) {
        if (chunk.type === 'text') {
          collected.addText(chunk.text, chunk.thought === true, chunk.thoughtSignature);
          if (!chunk.thought && chunk.text) yield { type: 'text', agent: agent.name, delta: chunk.text };
        } else if (chunk.type === 'function_call') {
          collected.addCall(chunk.call, chunk.thoughtSignature);
        } else if (chunk.type === 'retry_wait') {
          yield { type: 'retry_wait', agent: agent.name, seconds: chunk.seconds, reason: chunk.reason };
        } else {
          addUsage(run.usage, chunk.usage);
        }
      }
      run.usage.modelCalls++;
      const streamed = collected.response();
      const replaced = await this.firstResult(agent, (callbacks) => callbacks.afterModel?.(context, streamed));
      response = replaced ? withParts(replaced, streamed, callId) : streamed;
      if (replaced && replaced.text !== streamed.text) yield { type: 'text_replaced', agent: agent.name, text: replaced.text };
    } else {
      response = withParts(response, null, callId);
      if (response.text) yield { type: 'text', agent: agent.name, delta: response.text };
    }
    const parts = response.parts ?? [];
    for (const part of parts) await this.append(turn, { author: agent.name, ...eventOfPart(part) });
    run.current = joinContents(run.current, [{ role: 'model', parts }]);
    return response;
  }

  /**
   * Runs the step's calls in order and answers them together in one user turn, as the model sent
   * them together. A transfer switches the agent once its result is in.
   */
  private async *toolStep(turn: Turn, run: RunState, response: ModelResponse, signal: AbortSignal): AsyncGenerator<ChatEventBody, void, undefined> {
    const agent = run.agent;
    const context = run.entered!;
    const calls = (response.parts ?? []).flatMap((part) => ('functionCall' in part ? [part.functionCall as ModelFunctionCall & { id: string }] : []));
    run.unanswered = [...calls];
    const responses: ModelPart[] = [];
    let transferTo: Agent | null = null;
    for (const call of calls) {
      yield { type: 'tool_call', agent: agent.name, callId: call.id, name: call.name, args: call.args };
      // What the tool tells while it runs ("waiting for the store") is streamed before its result.
      const notices = new ToolNotices();
      const outcome = yield* notices.relay(this.callTool(turn, agent, context, call, signal, run.runState, notices.push), (notice) => ({
        ...notice,
        agent: agent.name,
        callId: call.id,
      }));
      yield { type: 'tool_result', agent: agent.name, callId: call.id, name: call.name, ok: outcome.ok, result: outcome.result };
      await this.append(turn, {
        author: agent.name,
        kind: 'tool_result',
        content: { id: call.id, name: call.name, response: outcome.result as JsonValue },
      });
      run.unanswered.shift();
      responses.push({ functionResponse: { id: call.id, name: call.name, response: resultForModel(call.name, outcome.result) } });
      if (call.name === TRANSFER_TOOL_NAME && outcome.ok) {
        transferTo = agent.transferTargets().find((target) => target.name === outcome.result.transferred_to) ?? null;
      }
    }
    run.current = joinContents(run.current, [{ role: 'user', parts: responses }]);
    if (transferTo && transferTo !== agent) {
      await this.leaveAgent(agent, context, '');
      run.entered = null;
      yield { type: 'transfer', from: agent.name, to: transferTo.name };
      await this.append(turn, { author: agent.name, kind: 'transfer', content: { from: agent.name, to: transferTo.name } });
      run.agent = transferTo;
    }
  }

  /**
   * A run that stopped between a step's calls and their results answers the rest as not run, so the
   * session keeps every call paired with a response and the next request is one the API accepts.
   */
  private async closeUnanswered(turn: Turn, run: RunState, code: string): Promise<void> {
    for (const call of run.unanswered) {
      const result = { error: { code, message: 'Not run: the request was stopped before this call.' } };
      await this.append(turn, { author: run.agent.name, kind: 'tool_result', content: { id: call.id, name: call.name, response: result } });
    }
    run.unanswered = [];
  }

  /** Learns the model's token ratio in the background on its first run with some history; the fixed rule serves until then. */
  private calibrate(turn: Turn): void {
    const { client } = turn;
    if (!client.countTokens || this.estimator.isCalibrated(turn.modelName)) return;
    const sample = joinContents(turn.history, [{ role: 'user', parts: [{ text: turn.message }] }]);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10_000);
    this.estimator
      .calibrate(turn.modelName, sample, (contents) => client.countTokens!(turn.modelName, contents, controller.signal))
      // A failed count only means the fixed rule stays in force; it is retried on a later run.
      .catch((error: unknown) =>
        this.log.warn({ runId: turn.runId, model: turn.modelName, ...errorFacts(error) }, 'token count calibration failed; the fixed estimate stays'),
      )
      .finally(() => clearTimeout(timer));
  }

  private async *streamModel(turn: Turn, request: ModelRequest, signal: AbortSignal) {
    if (signal.aborted) throw abortError(signal);
    for await (const chunk of turn.client.generate(request, signal)) {
      if (signal.aborted) throw abortError(signal);
      yield chunk;
    }
    if (signal.aborted) throw abortError(signal);
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
    notify: (notice: ToolNotice) => void,
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
      const outcome = await this.executeTool(turn, agent, tool, parsed.value, runSignal, runState, notify);
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
    notify: (notice: ToolNotice) => void,
  ): Promise<{ ok: boolean; result: ToolResult }> {
    const timeoutMs = tool.timeoutMs ?? this.toolTimeoutMs;
    const toolScope = new AbortScope(
      runSignal,
      timeoutMs,
      () => new AppError('timeout', `${tool.name} did not finish within ${Math.round(timeoutMs / 1000)} s.`),
    );
    const toolContext: ToolContext = {
      userId: turn.scope.userId,
      sessionId: turn.scope.sessionId,
      runId: turn.runId,
      agentName: agent.name,
      language: turn.language,
      signal: toolScope.signal,
      runState,
      notify,
    };
    try {
      if (toolScope.signal.aborted) throw abortError(toolScope.signal);
      const result = await raceAbort(
        Promise.resolve().then(() => tool.execute(args, toolContext)),
        toolScope.signal,
      );
      return { ok: true, result };
    } catch (error) {
      if (runSignal.aborted) throw abortError(runSignal);
      // The model reads the failure as the tool's result and may try otherwise; a fault in the tool itself is an error here.
      const facts = errorFacts(error);
      const fields = { runId: turn.runId, agent: agent.name, tool: tool.name, ...facts };
      if (facts.errorType === 'AppError') this.log.info(fields, 'tool failed');
      else this.log.error(fields, 'tool crashed');
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
  private async firstResult<T>(agent: Agent, invoke: (callbacks: AgentCallbacks) => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
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
    } catch (error) {
      // Usage accounting must never fail the answer the staff member is waiting for.
      this.log.warn({ runId: turn.runId, ...errorFacts(error) }, 'token usage of the run not recorded');
    }
  }
}

interface RunState {
  agent: Agent;
  /** The context `beforeAgent` ran with; null until the current agent is entered. */
  entered: CallbackContext | null;
  /** This run's contents so far: the staff message, then each step's model and user turns. */
  current: ModelContent[];
  /** Calls of the current step not answered yet (answered as not run if the run stops). */
  unanswered: (ModelFunctionCall & { id: string })[];
  usage: UsageTotals;
  runState: Map<string, unknown>;
}

/**
 * Assembles one model response from its stream: text deltas join into one part until a part
 * carries a thought signature (which then ends that part, keeping its place), function calls are
 * one part each with their signature, and calls without an id get one made up here.
 */
class ModelTurnCollector {
  private readonly parts: ModelPart[] = [];
  private text = '';
  private readonly calls: (ModelFunctionCall & { id: string })[] = [];

  constructor(private readonly makeId: (index: number) => string) {}

  addText(text: string, thought: boolean, thoughtSignature: string | undefined): void {
    if (!text && !thoughtSignature) return;
    const last = this.parts.at(-1);
    // An empty part that only carries a signature (how a stream may end) stays a part of its own.
    if (text && last && 'text' in last && !last.thoughtSignature && (last.thought === true) === thought) {
      last.text += text;
      if (thoughtSignature) last.thoughtSignature = thoughtSignature;
    } else {
      this.parts.push({ text, ...(thought ? { thought: true } : {}), ...(thoughtSignature ? { thoughtSignature } : {}) });
    }
    if (!thought) this.text += text;
  }

  addCall(call: ModelFunctionCall, thoughtSignature: string | undefined): void {
    // Gemini omits `args` for a call without arguments.
    const complete = { ...call, args: call.args ?? {}, id: call.id ?? this.makeId(this.calls.length) };
    this.calls.push(complete);
    this.parts.push({ functionCall: complete, ...(thoughtSignature ? { thoughtSignature } : {}) });
  }

  response(): ModelResponse {
    return { text: this.text, functionCalls: [...this.calls], parts: this.parts };
  }
}

/**
 * A response a callback made or replaced, with parts: its own when it gives them, else its text
 * and calls, keeping the signature of the model's call at the same place when it is the same call
 * (a first call the model never made carries the documented signature for injected calls).
 */
function withParts(response: ModelResponse, original: ModelResponse | null, makeId: (index: number) => string): ModelResponse {
  if (response.parts) return response;
  const originalCalls = (original?.parts ?? []).filter((part) => 'functionCall' in part);
  const calls = response.functionCalls.map((call, index) => ({ ...call, args: call.args ?? {}, id: call.id ?? makeId(index) }));
  const parts: ModelPart[] = response.text ? [{ text: response.text }] : [];
  calls.forEach((call, index) => {
    const same = originalCalls[index];
    const kept = same && 'functionCall' in same && same.functionCall.name === call.name ? same.thoughtSignature : undefined;
    const signature = kept ?? (index === 0 ? INJECTED_CALL_SIGNATURE : undefined);
    parts.push({ functionCall: call, ...(signature ? { thoughtSignature: signature } : {}) });
  });
  return { text: response.text, functionCalls: calls, parts };
}

/** How a model part is kept in the session: the fields Gemini sent, signature included. */
function eventOfPart(part: ModelPart): Pick<SessionEventInput, 'kind' | 'content'> {
  if ('functionCall' in part) {
    const { id, name, args } = part.functionCall;
    return { kind: 'tool_call', content: { id: id ?? null, name, args: args as JsonValue, ...signatureOf(part) } };
  }
  if ('functionResponse' in part) {
    const { id, name, response } = part.functionResponse;
    return { kind: 'tool_result', content: { id: id ?? null, name, response: response as JsonValue } };
  }
  return { kind: 'message', content: { text: part.text, ...(part.thought ? { thought: true } : {}), ...signatureOf(part) } };
}

function signatureOf(part: { thoughtSignature?: string }): { thoughtSignature?: string } {
  return part.thoughtSignature ? { thoughtSignature: part.thoughtSignature } : {};
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
  total.cachedTokens += usage.cachedTokens;
  total.estimated ||= usage.estimated;
}

function failure(code: string, message: string): { ok: false; result: ToolResult } {
  return { ok: false, result: { error: { code, message } } };
}

function lockKey(scope: Scope): string {
  return `${scope.userId}\u0000${scope.sessionId}`;
}
