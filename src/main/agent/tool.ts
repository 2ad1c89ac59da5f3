import { z } from 'zod';
import type { ChatEventBody } from '@shared/contract/chat';
import type { Language } from '@shared/settings';
import type { FunctionDeclarationShape } from './model';

/** What a tool knows about the run it serves. Scope (customer, session) comes from here, never from model arguments. */
export interface ToolContext {
  readonly userId: string;
  readonly sessionId: string;
  readonly runId: string;
  readonly agentName: string;
  readonly language: Language;
  /** Aborted on cancel, on the run deadline and on the tool's own timeout. */
  readonly signal: AbortSignal;
  /** Per-run scratch space shared by the run's tools (e.g. the add-to-cart guard), dropped when the run ends. */
  readonly runState: Map<string, unknown>;
  /** Tells the staff, while the tool runs, that it is waiting (the runner streams it as a chat event). */
  readonly notify?: (notice: ToolNotice) => void;
}

/** What a running tool can tell the staff: the store keeps it waiting. */
export type ToolNotice = Omit<Extract<ChatEventBody, { type: 'store_wait' }>, 'agent' | 'callId'>;

/** A tool result is always a small shaped JSON object, never raw store data. */
export type ToolResult = Record<string, unknown>;

export interface FunctionToolOptions<S extends z.ZodType> {
  name: string;
  description: string;
  parameters: S;
  execute: (args: z.output<S>, context: ToolContext) => Promise<ToolResult> | ToolResult;
  /** Overrides the runner's default per-tool timeout. */
  timeoutMs?: number;
}

const toolNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;

/** A tool whose arguments are a zod schema; the schema becomes the Gemini function declaration. */
export class FunctionTool<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly parameters: S;
  readonly timeoutMs: number | undefined;
  private readonly run: FunctionToolOptions<S>['execute'];
  private cachedDeclaration: FunctionDeclarationShape | null = null;

  constructor(options: FunctionToolOptions<S>) {
    if (!toolNamePattern.test(options.name)) throw new Error(`invalid tool name: ${options.name}`);
    this.name = options.name;
    this.description = options.description;
    this.parameters = options.parameters;
    this.timeoutMs = options.timeoutMs;
    this.run = options.execute;
  }

  declaration(): FunctionDeclarationShape {
    if (!this.cachedDeclaration) {
      // `io: 'input'` keeps defaulted fields optional, as the model may omit them.
      const schema = withoutKeywords(z.toJSONSchema(this.parameters, { io: 'input' })) as Record<string, unknown>;
      this.cachedDeclaration = { name: this.name, description: this.description, parametersJsonSchema: schema };
    }
    return this.cachedDeclaration;
  }

  /** Validates the model's arguments; the error message is what the model is told. */
  parse(args: unknown): { ok: true; value: z.output<S> } | { ok: false; message: string } {
    const parsed = this.parameters.safeParse(args ?? {});
    if (parsed.success) return { ok: true, value: parsed.data };
    return { ok: false, message: z.prettifyError(parsed.error) };
  }

  execute(args: z.output<S>, context: ToolContext): Promise<ToolResult> | ToolResult {
    return this.run(args, context);
  }
}

/** JSON Schema keywords Gemini's `parametersJsonSchema` does not document; the tool's own parse still enforces them. */
const droppedKeywords = new Set(['$schema', 'propertyNames']);
/** Keywords that would make the declaration recursive or ambiguous for Gemini: a tool using them is a bug here. */
const refusedKeywords = new Set(['$ref', '$defs', 'definitions', 'oneOf', 'allOf', 'not', 'if', 'then', 'else']);

/**
 * The declaration as Gemini documents it: undocumented keywords dropped, `const` written as a
 * one-value `enum`; references, combinators and maps (`additionalProperties` with a schema) refused
 * when the tool is declared, so they never reach the API. Under `properties` the keys are names.
 */
function withoutKeywords(node: unknown, keysAreNames = false): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutKeywords(item));
  if (node === null || typeof node !== 'object') return node;
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (!keysAreNames) {
      if (droppedKeywords.has(key)) continue;
      if (refusedKeywords.has(key)) throw new Error(`tool declaration uses "${key}", which Gemini's function declarations do not take`);
      if (key === 'additionalProperties' && typeof value !== 'boolean') throw new Error('tool declaration uses a map (additionalProperties schema)');
      if (key === 'const') {
        converted.enum = [value];
        continue;
      }
    }
    converted[key] = withoutKeywords(value, !keysAreNames && key === 'properties');
  }
  return converted;
}
