import { z } from 'zod';
import type { Language } from '@shared/settings';
import type { ModelFunctionCall, ModelPart, ModelRequest } from './model';
import { FunctionTool, type ToolResult } from './tool';

export interface CallbackContext {
  readonly agent: Agent;
  readonly userId: string;
  readonly sessionId: string;
  readonly runId: string;
  readonly language: Language;
  readonly runState: Map<string, unknown>;
}

/** A model turn as the runner assembled it from the stream. */
export interface ModelResponse {
  text: string;
  functionCalls: ModelFunctionCall[];
  /** The parts as the model sent them (signatures included); made from text and calls when a callback leaves them out. */
  parts?: ModelPart[];
}

type MaybePromise<T> = T | Promise<T>;

/**
 * ADK-style hooks. For each hook the runner calls the runner-wide callbacks, then the agent's; the
 * first one that returns something other than `undefined` wins and the step it guards is skipped:
 * `beforeAgent` → a reply instead of running the agent; `beforeModel` → a response instead of
 * calling the model; `afterModel` → a replacement response; `beforeTool` → a result instead of
 * running the tool; `afterTool` → a replacement result; `afterAgent` → a replacement final reply.
 * `afterAgent` runs whenever `beforeAgent` ran, also on error and cancel, so the pair can hold resources.
 */
export interface AgentCallbacks {
  beforeAgent?: (context: CallbackContext) => MaybePromise<string | undefined>;
  afterAgent?: (context: CallbackContext, reply: string) => MaybePromise<string | undefined>;
  beforeModel?: (context: CallbackContext, request: ModelRequest) => MaybePromise<ModelResponse | undefined>;
  afterModel?: (context: CallbackContext, response: ModelResponse) => MaybePromise<ModelResponse | undefined>;
  beforeTool?: (context: CallbackContext, tool: FunctionTool, args: unknown) => MaybePromise<ToolResult | undefined>;
  afterTool?: (context: CallbackContext, tool: FunctionTool, args: unknown, result: ToolResult) => MaybePromise<ToolResult | undefined>;
}

export interface InstructionContext {
  language: Language;
  userId: string;
}

export interface AgentOptions {
  name: string;
  description: string;
  instruction: string | ((context: InstructionContext) => string);
  /** Overrides the runner's model for this agent. */
  model?: string;
  tools?: FunctionTool[];
  subAgents?: Agent[];
  callbacks?: AgentCallbacks[];
  /** The agent answers with one JSON object (the summarizer). */
  jsonOutput?: boolean;
}

export const TRANSFER_TOOL_NAME = 'transfer_to_agent';
const agentNamePattern = /^[a-z][a-z0-9_]{0,63}$/;

export class Agent {
  readonly name: string;
  readonly description: string;
  readonly model: string | undefined;
  readonly tools: readonly FunctionTool[];
  readonly subAgents: readonly Agent[];
  readonly callbacks: readonly AgentCallbacks[];
  readonly jsonOutput: boolean;
  private parentAgent: Agent | null = null;
  private readonly instructionSource: AgentOptions['instruction'];
  private transferTool: FunctionTool | null | undefined;

  constructor(options: AgentOptions) {
    if (!agentNamePattern.test(options.name)) throw new Error(`invalid agent name: ${options.name}`);
    this.name = options.name;
    this.description = options.description;
    this.instructionSource = options.instruction;
    this.model = options.model;
    this.tools = options.tools ?? [];
    this.subAgents = options.subAgents ?? [];
    this.callbacks = options.callbacks ?? [];
    this.jsonOutput = options.jsonOutput ?? false;
    const toolNames = new Set<string>();
    for (const tool of this.tools) {
      if (tool.name === TRANSFER_TOOL_NAME || toolNames.has(tool.name)) {
        throw new Error(`agent ${this.name}: duplicate or reserved tool name ${tool.name}`);
      }
      toolNames.add(tool.name);
    }
    for (const sub of this.subAgents) {
      if (sub.parentAgent) throw new Error(`agent ${sub.name} already has a parent (${sub.parentAgent.name})`);
      sub.parentAgent = this;
    }
  }

  get parent(): Agent | null {
    return this.parentAgent;
  }

  instruction(context: InstructionContext): string {
    return typeof this.instructionSource === 'string' ? this.instructionSource : this.instructionSource(context);
  }

  /** This agent or one below it, by name. */
  findAgent(name: string): Agent | undefined {
    if (this.name === name) return this;
    for (const sub of this.subAgents) {
      const found = sub.findAgent(name);
      if (found) return found;
    }
    return undefined;
  }

  /** Where `transfer_to_agent` may go from here: the sub-agents and the parent. */
  transferTargets(): Agent[] {
    return this.parentAgent ? [...this.subAgents, this.parentAgent] : [...this.subAgents];
  }

  /** The agent's own tools plus `transfer_to_agent` when it has somewhere to transfer to. */
  allTools(): FunctionTool[] {
    if (this.transferTool === undefined) this.transferTool = this.buildTransferTool();
    return this.transferTool ? [...this.tools, this.transferTool] : [...this.tools];
  }

  private buildTransferTool(): FunctionTool | null {
    const targets = this.transferTargets();
    if (targets.length === 0) return null;
    const names = targets.map((target) => target.name) as [string, ...string[]];
    const described = targets.map((target) => `${target.name}: ${target.description}`).join('; ');
    return new FunctionTool({
      name: TRANSFER_TOOL_NAME,
      description: `Hand the conversation to another agent that is better suited. Agents: ${described}`,
      parameters: z.object({ agent_name: z.enum(names) }).strict(),
      // The runner switches agents; the result only tells the model it happened.
      execute: ({ agent_name }) => ({ transferred_to: agent_name }),
    });
  }
}
