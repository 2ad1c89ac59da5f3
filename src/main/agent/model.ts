import type { Language } from '../../shared/settings';

/** One part of a turn, in the shape Gemini uses, so the Gemini client maps it 1:1. */
export type ModelPart =
  | { text: string }
  | { functionCall: ModelFunctionCall }
  | { functionResponse: { id?: string; name: string; response: Record<string, unknown> } };

export interface ModelFunctionCall {
  id?: string;
  name: string;
  /** As the model sent it: may be malformed; the runner validates it against the tool's schema. */
  args: unknown;
}

/**
 * Calls the model sent without an id get one made up here (so events and responses pair up);
 * like ADK, the Gemini client strips these before sending, since Gemini did not issue them.
 */
export const LOCAL_CALL_ID_PREFIX = 'mm-call-';

export interface ModelContent {
  role: 'user' | 'model';
  parts: ModelPart[];
}

export interface FunctionDeclarationShape {
  name: string;
  description: string;
  parametersJsonSchema: Record<string, unknown>;
}

export interface ModelRequest {
  model: string;
  systemInstruction: string;
  contents: ModelContent[];
  tools: FunctionDeclarationShape[];
  /** The language the answer should be in (the staff member's, else the settings'). */
  language: Language;
  /** Ask for a JSON object instead of prose (the summarizer). */
  jsonOutput?: boolean;
}

export interface TokenUsage {
  promptTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** True when counted by `estimateTokens`, not reported by the model. */
  estimated: boolean;
}

export type ModelChunk =
  | { type: 'text'; text: string }
  | { type: 'function_call'; call: ModelFunctionCall }
  | { type: 'usage'; usage: TokenUsage };

/** What every model backend implements: a stream of text deltas and function calls, usage, abort. */
export interface ModelClient {
  readonly provider: 'gemini' | 'offline';
  generate(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelChunk>;
}

/**
 * A rough token count (about 4 characters a token, as Gemini documents for English; Vietnamese
 * runs a little higher, which only makes the estimate conservative). Used by the offline planner
 * and by the context-policy benchmark, so both policies are counted the same way.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function estimateRequestTokens(request: ModelRequest): number {
  return estimateTokens(request.systemInstruction + JSON.stringify(request.contents) + JSON.stringify(request.tools));
}
