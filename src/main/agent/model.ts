import type { Language } from '@shared/settings';

/**
 * One part of a turn, in the shape Gemini uses, so the Gemini client maps it 1:1. `thoughtSignature`
 * is Gemini's opaque token for its reasoning: it is kept and sent back exactly as received (Gemini 3
 * answers 400 when a function call of the current turn comes back without it).
 */
export type ModelPart =
  | { text: string; thought?: boolean; thoughtSignature?: string }
  | { functionCall: ModelFunctionCall; thoughtSignature?: string }
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

/**
 * The signature Gemini's documentation gives for function calls the model did not make itself
 * (here: calls a `beforeModel`/`afterModel` callback wrote), so Gemini 3 accepts them in the current turn.
 */
export const INJECTED_CALL_SIGNATURE = 'skip_thought_signature_validator';

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
  /** The agent's instruction with the customer context below it (as fitted to the token budget). */
  systemInstruction: string;
  /** The same customer context as data (memory lines, latest summary), for the offline planner. */
  customerContext?: { memories: string[]; summary: string | null };
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
  /** Prompt tokens served from Gemini's context cache (counted in `promptTokens` too). */
  cachedTokens: number;
  /** True when counted by `estimateTokens`, not reported by the model. */
  estimated: boolean;
}

/** What a model streams: its parts as received (text may come in several deltas), usage, and waits before a retry. */
export type ModelChunk =
  | { type: 'text'; text: string; thought?: boolean; thoughtSignature?: string }
  | { type: 'function_call'; call: ModelFunctionCall; thoughtSignature?: string }
  | { type: 'usage'; usage: TokenUsage }
  | { type: 'retry_wait'; seconds: number; reason: 'rate_limited' | 'unavailable' };

/** What every model backend implements: a stream of text deltas and function calls, usage, abort. */
export interface ModelClient {
  readonly provider: 'gemini' | 'offline';
  generate(request: ModelRequest, signal: AbortSignal): AsyncIterable<ModelChunk>;
  /** The model's own count of these contents' tokens (Gemini's `countTokens`), to calibrate the estimate. */
  countTokens?(model: string, contents: ModelContent[], signal: AbortSignal): Promise<number>;
}

/**
 * The fixed token rule: one token per 3 characters. Gemini documents about 4 characters a token
 * for English; Vietnamese (diacritics, short syllables) and JSON run denser, so 3 keeps the
 * estimate on the safe side. `countTokens` calibrates it when a key is set (see TokenEstimator).
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}

export function estimateRequestTokens(request: ModelRequest): number {
  return estimateTokens(request.systemInstruction + JSON.stringify(request.contents) + JSON.stringify(request.tools));
}
