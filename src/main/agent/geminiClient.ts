import type { Content, GenerateContentConfig, GoogleGenAI, Part } from '@google/genai';
import { AppError } from '../../shared/errors';
import { LOCAL_CALL_ID_PREFIX, type ModelChunk, type ModelClient, type ModelContent, type ModelRequest, type TokenUsage } from './model';

export interface GeminiClientOptions {
  apiKey: string;
  /** A gateway or proxy in front of Gemini (settings or `GEMINI_BASE_URL`); the public endpoint when absent. */
  baseUrl?: string;
  /** Backoff on 429/503 (the SDK retries with exponential backoff and jitter). */
  retry?: { attempts: number; initialDelaySeconds: number; maxDelaySeconds: number };
}

const defaultRetry = { attempts: 4, initialDelaySeconds: 1, maxDelaySeconds: 20 };

/** Gemini through the official SDK: streamed text and function calls, usage metadata, abort. */
export class GeminiModelClient implements ModelClient {
  readonly provider = 'gemini' as const;
  private readonly apiKey: string;
  /** The SDK loads with the first model call, so an app without a key never pays for it at start. */
  private sdk: Promise<{ ai: GoogleGenAI; ApiError: typeof import('@google/genai').ApiError }> | null = null;

  constructor(private readonly options: GeminiClientOptions) {
    this.apiKey = options.apiKey;
  }

  private load() {
    this.sdk ??= import('@google/genai').then(({ GoogleGenAI, ApiError }) => {
      const retry = this.options.retry ?? defaultRetry;
      const ai = new GoogleGenAI({
        apiKey: this.options.apiKey,
        httpOptions: {
          ...(this.options.baseUrl ? { baseUrl: this.options.baseUrl } : {}),
          retryOptions: {
            attempts: retry.attempts,
            initialDelay: retry.initialDelaySeconds,
            maxDelay: retry.maxDelaySeconds,
            httpStatusCodes: [429, 503],
          },
        },
      });
      return { ai, ApiError };
    });
    return this.sdk;
  }

  async *generate(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ModelChunk, void, undefined> {
    const config: GenerateContentConfig = {
      systemInstruction: request.systemInstruction,
      abortSignal: signal,
      // The runner executes tools itself (callbacks, timeouts, validation); the SDK must not.
      automaticFunctionCalling: { disable: true },
    };
    if (request.tools.length > 0) config.tools = [{ functionDeclarations: request.tools }];
    if (request.jsonOutput) config.responseMimeType = 'application/json';
    let usage: TokenUsage | null = null;
    const { ai, ApiError } = await this.load();
    try {
      const stream = await ai.models.generateContentStream({
        model: request.model,
        contents: toGeminiContents(request.contents),
        config,
      });
      for await (const chunk of stream) {
        for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
          if (part.thought) continue;
          if (typeof part.text === 'string' && part.text.length > 0) yield { type: 'text', text: part.text };
          if (part.functionCall?.name) {
            yield {
              type: 'function_call',
              call: { ...(part.functionCall.id ? { id: part.functionCall.id } : {}), name: part.functionCall.name, args: part.functionCall.args },
            };
          }
        }
        // Each chunk carries the running total; the last one is the call's usage.
        const metadata = chunk.usageMetadata;
        if (metadata) {
          const promptTokens = metadata.promptTokenCount ?? 0;
          const outputTokens = (metadata.candidatesTokenCount ?? 0) + (metadata.thoughtsTokenCount ?? 0);
          usage = { promptTokens, outputTokens, totalTokens: metadata.totalTokenCount ?? promptTokens + outputTokens, estimated: false };
        }
      }
    } catch (error) {
      throw this.toAppError(error, signal, ApiError);
    }
    if (usage) yield { type: 'usage', usage };
  }

  private toAppError(error: unknown, signal: AbortSignal, ApiError: typeof import('@google/genai').ApiError): AppError {
    if (signal.aborted) return signal.reason instanceof AppError ? signal.reason : new AppError('cancelled', 'The run was cancelled.');
    if (error instanceof AppError) return error;
    const raw = error instanceof Error ? error.message : String(error);
    // Error bodies can echo request details; the key must never reach the UI or the logs.
    const message = raw.split(this.apiKey).join('***').slice(0, 500);
    if (error instanceof ApiError) {
      if (error.status === 429) return new AppError('rate_limited', 'Gemini is rate-limiting this key; try again in a minute.', { status: 429 });
      if (error.status === 401 || error.status === 403) {
        return new AppError('model_error', 'Gemini rejected the API key; check it in Settings.', { status: error.status });
      }
      return new AppError('model_error', `Gemini answered with an error (${error.status}).`, { status: error.status, message });
    }
    return new AppError('model_error', `Gemini could not be reached: ${message}`);
  }
}

/** The contents as Gemini takes them, without the call ids Gemini did not issue. */
function toGeminiContents(contents: readonly ModelContent[]): Content[] {
  const kept = (id: string | undefined) => (id && !id.startsWith(LOCAL_CALL_ID_PREFIX) ? { id } : {});
  return contents.map((content) => ({
    role: content.role,
    parts: content.parts.map((part): Part => {
      if ('functionCall' in part) {
        const { id, name, args } = part.functionCall;
        return { functionCall: { ...kept(id), name, args: args as Record<string, unknown> } };
      }
      if ('functionResponse' in part) {
        const { id, name, response } = part.functionResponse;
        return { functionResponse: { ...kept(id), name, response } };
      }
      return part;
    }),
  }));
}
