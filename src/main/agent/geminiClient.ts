import type { Content, GenerateContentConfig, GenerateContentResponse, GoogleGenAI, Part } from '@google/genai';
import { AppError } from '@shared/errors';
import { sleep, systemClock, type Clock } from '../core/clock';
import { parseRetryAfter } from '../core/retryAfter';
import { AbortScope } from './abort';
import { silentLogger, type Logger } from '../core/logger';
import { LOCAL_CALL_ID_PREFIX, type ModelChunk, type ModelClient, type ModelContent, type ModelRequest, type TokenUsage } from './model';

export interface GeminiClientOptions {
  apiKey: string;
  /** A gateway or proxy in front of Gemini (Settings, else `GEMINI_BASE_URL`); the public endpoint when absent. */
  baseUrl?: string;
  /** Retries on 429 and 503: attempts in all, and the backoff when Gemini does not say how long to wait. */
  retry?: { attempts: number; initialDelaySeconds: number; maxDelaySeconds: number };
  /** The longest wait a Retry-After may ask for before the run gives up instead (default 60 s). */
  maxRetryWaitSeconds?: number;
  /** How long to wait for the first streamed chunk (default 30 s). */
  firstChunkTimeoutMs?: number;
  /** How long the stream may stay silent between chunks (default 20 s). */
  stallTimeoutMs?: number;
  /** Deadlines and retry waits run on this clock (tests move it by hand). */
  clock?: Clock;
  /** Jitter source for the backoff (tests fix it). */
  random?: () => number;
  /**
   * Retry waits and failed calls: model, HTTP status, code, attempt, wait. Never the request (the
   * conversation, tool arguments and results are customer data) nor Gemini's error text.
   */
  logger?: Logger;
}

const defaultRetry = { attempts: 4, initialDelaySeconds: 1, maxDelaySeconds: 20 };

/** Gemini through the official SDK: streamed parts with their thought signatures, usage, deadlines, retries, abort. */
export class GeminiModelClient implements ModelClient {
  readonly provider = 'gemini' as const;
  private readonly apiKey: string;
  private readonly clock: Clock;
  private readonly retry: NonNullable<GeminiClientOptions['retry']>;
  private readonly log: Logger;
  /** The SDK loads with the first model call, so an app without a key never pays for it at start. */
  private sdk: Promise<{ ai: GoogleGenAI; ApiError: typeof import('@google/genai').ApiError }> | null = null;

  constructor(private readonly options: GeminiClientOptions) {
    this.apiKey = options.apiKey;
    this.clock = options.clock ?? systemClock;
    this.retry = options.retry ?? defaultRetry;
    this.log = options.logger ?? silentLogger();
  }

  private load() {
    this.sdk ??= import('@google/genai').then(({ GoogleGenAI, ApiError }) => {
      // No `retryOptions`: the SDK then makes one attempt, and this client retries itself, honouring Retry-After.
      const ai = new GoogleGenAI({
        apiKey: this.options.apiKey,
        ...(this.options.baseUrl ? { httpOptions: { baseUrl: this.options.baseUrl } } : {}),
      });
      return { ai, ApiError };
    });
    return this.sdk;
  }

  async *generate(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ModelChunk, void, undefined> {
    const { ai, ApiError } = await this.load();
    for (let attempt = 1; ; attempt++) {
      const wait: { retryAfter: string | null } = { retryAfter: null };
      // One attempt: follows the run's signal, and fails with `timeout` when its deadline passes.
      const scope = new AbortScope(signal, Number.POSITIVE_INFINITY, () => new AppError('timeout', 'Gemini did not answer in time.'), this.clock);
      let streamed = false;
      try {
        scope.arm(...deadline(this.options.firstChunkTimeoutMs ?? 30_000, 'Gemini did not start answering within {s} s.'));
        const stream = await ai.models.generateContentStream({
          model: request.model,
          contents: toGeminiContents(request.contents),
          config: this.config(request, scope.signal, wait),
        });
        let usage: TokenUsage | null = null;
        const iterator = stream[Symbol.asyncIterator]();
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          streamed = true;
          scope.arm(...deadline(this.options.stallTimeoutMs ?? 20_000, 'Gemini stopped answering for {s} s in the middle of an answer.'));
          yield* chunksOf(next.value);
          usage = usageOf(next.value) ?? usage;
        }
        scope.dispose();
        if (usage) yield { type: 'usage', usage };
        return;
      } catch (error) {
        // Read before `dispose`, which aborts the attempt's signal as finished.
        const failure = this.toAppError(error, signal, scope.signal, ApiError);
        scope.dispose();
        const status = error instanceof ApiError && !signal.aborted ? error.status : null;
        const retry = streamed ? failure : this.retryPlan(failure, status, attempt, wait.retryAfter, error);
        if (retry instanceof AppError) {
          const details = (retry.details ?? {}) as { retryAfterSeconds?: number };
          // A cancel is the staff's choice (or the run's deadline, which the runner logs), not Gemini's failure.
          if (signal.aborted) this.log.debug({ model: request.model, code: retry.code, attempt }, 'Gemini call stopped');
          else
            this.log.warn(
              { model: request.model, code: retry.code, httpStatus: status, attempt, streamed, retryAfterSeconds: details.retryAfterSeconds },
              'Gemini call failed',
            );
          throw retry;
        }
        this.log.warn(
          { model: request.model, httpStatus: status, attempt, waitMs: retry.waitMs, reason: retry.reason },
          'Gemini asked to wait; retrying',
        );
        yield { type: 'retry_wait', seconds: Math.ceil(retry.waitMs / 1000), reason: retry.reason };
        await sleep(this.clock, retry.waitMs, signal);
      }
    }
  }

  /** Gemini's own count of these contents' tokens, to calibrate the fixed estimate. */
  async countTokens(model: string, contents: ModelContent[], signal: AbortSignal): Promise<number> {
    const { ai } = await this.load();
    const counted = await ai.models.countTokens({ model, contents: toGeminiContents(contents), config: { abortSignal: signal } });
    return counted.totalTokens ?? 0;
  }

  private config(request: ModelRequest, signal: AbortSignal, wait: { retryAfter: string | null }): GenerateContentConfig {
    const config: GenerateContentConfig = {
      systemInstruction: request.systemInstruction,
      abortSignal: signal,
      // The runner executes tools itself (callbacks, timeouts, validation); the SDK must not.
      automaticFunctionCalling: { disable: true },
      // Retry-After is a header; the SDK's error keeps only the status and body, so it is read here.
      httpOptions: {
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          if (!response.ok) wait.retryAfter = response.headers.get('retry-after');
          return response;
        },
      },
    };
    if (request.tools.length > 0) config.tools = [{ functionDeclarations: request.tools }];
    if (request.jsonOutput) config.responseMimeType = 'application/json';
    return config;
  }

  /**
   * 429 and 503 are retried before anything streamed: after what Gemini asked for (Retry-After in
   * seconds or as a date, or the RetryInfo delay in the body), else with exponential backoff and
   * jitter. A wait longer than the cap ends the run with that wait in the message. Other errors
   * (500 included: the same request would fail the same way) are not retried.
   */
  private retryPlan(
    failure: AppError,
    status: number | null,
    attempt: number,
    retryAfter: string | null,
    error: unknown,
  ): { waitMs: number; reason: 'rate_limited' | 'unavailable' } | AppError {
    if ((status !== 429 && status !== 503) || attempt >= this.retry.attempts) return failure;
    const reason = status === 429 ? 'rate_limited' : 'unavailable';
    const askedMs = parseRetryAfter(retryAfter, this.clock.now()) ?? retryDelayInBody(error);
    if (askedMs !== null) {
      const seconds = Math.ceil(askedMs / 1000);
      if (askedMs > (this.options.maxRetryWaitSeconds ?? 60) * 1000) {
        return new AppError(failure.code, `Gemini asks to wait ${seconds} s before the next request; try again then.`, {
          status,
          retryAfterSeconds: seconds,
        });
      }
      return { waitMs: askedMs, reason };
    }
    const base = this.retry.initialDelaySeconds * 1000 * 2 ** (attempt - 1);
    const capped = Math.min(base, this.retry.maxDelaySeconds * 1000);
    return { waitMs: Math.round(capped * (0.5 + (this.options.random ?? Math.random)() / 2)), reason };
  }

  private toAppError(error: unknown, signal: AbortSignal, attemptSignal: AbortSignal, ApiError: typeof import('@google/genai').ApiError): AppError {
    if (signal.aborted) return signal.reason instanceof AppError ? signal.reason : new AppError('cancelled', 'The run was cancelled.');
    if (attemptSignal.aborted && attemptSignal.reason instanceof AppError) return attemptSignal.reason;
    if (error instanceof AppError) return error;
    const raw = error instanceof Error ? error.message : String(error);
    // Error bodies can echo request details; the key must never reach the UI or the logs.
    const message = raw.split(this.apiKey).join('***').slice(0, 500);
    if (error instanceof ApiError) {
      if (error.status === 429) return new AppError('rate_limited', 'Gemini is rate-limiting this key; try again in a minute.', { status: 429 });
      if (error.status === 401 || error.status === 403) {
        return new AppError('model_error', 'Gemini rejected the API key; check it in Settings.', { status: error.status });
      }
      if (error.status === 503) return new AppError('model_error', 'Gemini is overloaded right now; try again in a moment.', { status: 503 });
      return new AppError('model_error', `Gemini answered with an error (${error.status}).`, { status: error.status, message });
    }
    return new AppError('model_error', `Gemini could not be reached: ${message}`);
  }
}

/** An attempt's deadline: `ms`, and the timeout error naming it in seconds. */
function deadline(ms: number, message: string): [number, () => AppError] {
  return [ms, () => new AppError('timeout', message.replace('{s}', String(Math.round(ms / 1000))), { deadlineMs: ms })];
}

function* chunksOf(response: GenerateContentResponse): Generator<ModelChunk, void, undefined> {
  for (const part of response.candidates?.[0]?.content?.parts ?? []) {
    const signature = part.thoughtSignature ? { thoughtSignature: part.thoughtSignature } : {};
    if (part.functionCall?.name) {
      const { id, name, args } = part.functionCall;
      yield { type: 'function_call', call: { ...(id ? { id } : {}), name, args }, ...signature };
    } else if (typeof part.text === 'string' || part.thoughtSignature) {
      yield { type: 'text', text: part.text ?? '', ...(part.thought ? { thought: true } : {}), ...signature };
    }
  }
}

/** Each chunk carries the running total; the last one is the call's usage. */
function usageOf(response: GenerateContentResponse): TokenUsage | null {
  const metadata = response.usageMetadata;
  if (!metadata) return null;
  const promptTokens = metadata.promptTokenCount ?? 0;
  const outputTokens = (metadata.candidatesTokenCount ?? 0) + (metadata.thoughtsTokenCount ?? 0);
  return {
    promptTokens,
    outputTokens,
    totalTokens: metadata.totalTokenCount ?? promptTokens + outputTokens,
    cachedTokens: metadata.cachedContentTokenCount ?? 0,
    estimated: false,
  };
}

/** Gemini's own hint: `google.rpc.RetryInfo` with `retryDelay: "20s"` in the error body. */
function retryDelayInBody(error: unknown): number | null {
  const message = error instanceof Error ? error.message : '';
  const match = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(message);
  return match ? Math.round(Number(match[1]) * 1000) : null;
}

/** The contents as Gemini takes them: parts as received (signatures included), without the call ids Gemini did not issue. */
function toGeminiContents(contents: readonly ModelContent[]): Content[] {
  const kept = (id: string | undefined) => (id && !id.startsWith(LOCAL_CALL_ID_PREFIX) ? { id } : {});
  return contents.map((content) => ({
    role: content.role,
    parts: content.parts.map((part): Part => {
      if ('functionCall' in part) {
        const { id, name, args } = part.functionCall;
        return {
          functionCall: { ...kept(id), name, args: args as Record<string, unknown> },
          ...(part.thoughtSignature ? { thoughtSignature: part.thoughtSignature } : {}),
        };
      }
      if ('functionResponse' in part) {
        const { id, name, response } = part.functionResponse;
        return { functionResponse: { ...kept(id), name, response } };
      }
      return part;
    }),
  }));
}
