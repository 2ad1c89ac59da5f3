import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '@shared/errors';
import { GeminiModelClient } from '../../src/main/agent/geminiClient';
import { parseRetryAfter } from '../../src/main/core/retryAfter';
import type { ModelChunk, ModelRequest } from '../../src/main/agent/model';
import { ManualClock } from '../commerce/helpers';
import { startGeminiStandin, type GeminiStandin } from '../helpers/geminiStandin';

const API_KEY = 'test-key-0123456789abcdef';
const fastRetry = { attempts: 3, initialDelaySeconds: 1, maxDelaySeconds: 4 };

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'gemini-3-flash-preview',
    systemInstruction: 'Bạn là trợ lý MM.',
    contents: [{ role: 'user', parts: [{ text: 'tìm sữa tươi' }] }],
    tools: [{ name: 'search_products', description: 'Search', parametersJsonSchema: { type: 'object', properties: { query: { type: 'string' } } } }],
    language: 'vi',
    ...overrides,
  };
}

async function collect(stream: AsyncIterable<ModelChunk>): Promise<ModelChunk[]> {
  const chunks: ModelChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

// The real SDK against the stand-in on 127.0.0.1 (Gemini itself cannot be reached here); deadlines
// and retry waits run on a manual clock, so nothing here waits for real time.
describe('Gemini client on the real SDK against the stand-in', () => {
  let standin: GeminiStandin;
  let clock: ManualClock;
  let client: GeminiModelClient;
  beforeEach(async () => {
    standin = await startGeminiStandin({ apiKey: API_KEY });
    clock = new ManualClock();
    client = new GeminiModelClient({ apiKey: API_KEY, baseUrl: standin.baseUrl, retry: fastRetry, clock, random: () => 0.5 });
  });
  afterEach(() => standin.close());

  it('streams text deltas, keeps the closing signature part, and reports usage metadata', async () => {
    standin.enqueue({ expect: { tools: ['search_products'], systemIncludes: ['trợ lý MM'] }, reply: { text: ['Xin ', 'chào'] } });
    const chunks = await collect(client.generate(request(), new AbortController().signal));
    const texts = chunks.filter((chunk) => chunk.type === 'text');
    expect(texts.map((chunk) => chunk.text)).toEqual(['Xin ', 'chào', '']);
    expect(texts[2]).toMatchObject({ thoughtSignature: expect.any(String) as string });
    expect(chunks.find((chunk) => chunk.type === 'usage')).toMatchObject({ type: 'usage', usage: { estimated: false, cachedTokens: 0 } });
    expect(standin.failures).toEqual([]);
    expect(standin.requests[0]).toMatchObject({ model: 'gemini-3-flash-preview', stream: true, apiKey: API_KEY });
  });

  it('hands back each call with its signature and sends it back with the responses, without call ids Gemini did not issue', async () => {
    standin.enqueue(
      {
        reply: {
          functionCalls: [
            { name: 'search_products', args: { query: 'sữa tươi' } },
            { name: 'search_products', args: { query: 'sữa' } },
          ],
        },
      },
      {
        expect: { functionResponse: 'search_products', contentsExclude: ['mm-call-'], contentsInclude: ['"id":"gemini-1"'] },
        reply: { text: 'Có 2 sản phẩm.' },
      },
    );
    const first = await collect(client.generate(request(), new AbortController().signal));
    const calls = first.filter((chunk) => chunk.type === 'function_call');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({
      call: { name: 'search_products', args: { query: 'sữa tươi' } },
      thoughtSignature: expect.any(String) as string,
    });
    expect(calls[1]).not.toHaveProperty('thoughtSignature');
    const signature = (calls[0] as { thoughtSignature: string }).thoughtSignature;
    await collect(
      client.generate(
        request({
          contents: [
            { role: 'user', parts: [{ text: 'tìm sữa tươi' }] },
            {
              role: 'model',
              parts: [
                { functionCall: { id: 'gemini-1', name: 'search_products', args: { query: 'sữa tươi' } }, thoughtSignature: signature },
                { functionCall: { id: 'mm-call-r1-0-1', name: 'search_products', args: { query: 'sữa' } } },
              ],
            },
            {
              role: 'user',
              parts: [
                { functionResponse: { id: 'gemini-1', name: 'search_products', response: { total: 2 } } },
                { functionResponse: { id: 'mm-call-r1-0-1', name: 'search_products', response: { total: 9 } } },
              ],
            },
          ],
        }),
        new AbortController().signal,
      ),
    );
    expect(standin.failures).toEqual([]);
    expect(standin.requests[1]!.body.contents![1]!.parts![0]).toMatchObject({ thoughtSignature: signature });
  });

  it('is answered 400 by a Gemini 3 model when the current turn lost a signature (what the app used to send)', async () => {
    standin.enqueue({ reply: { functionCalls: [{ name: 'search_products', args: { query: 'bia' } }] } }, { reply: { text: 'never' } });
    await collect(client.generate(request(), new AbortController().signal));
    const unsigned = request({
      contents: [
        { role: 'user', parts: [{ text: 'tìm bia' }] },
        { role: 'model', parts: [{ functionCall: { name: 'search_products', args: { query: 'bia' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'search_products', response: { total: 1 } } }] },
      ],
    });
    const error = await collect(client.generate(unsigned, new AbortController().signal)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'model_error', details: { status: 400 } });
    expect(standin.failures.join('\n')).toMatch(/missing a thought_signature/);
  });

  it('honours Retry-After in seconds: tells how long it waits, then retries exactly then', async () => {
    standin.enqueue({ reply: { error: { status: 429, headers: { 'retry-after': '20' } } } }, { reply: { text: 'ok' } });
    const iterator = client.generate(request(), new AbortController().signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'retry_wait', seconds: 20, reason: 'rate_limited' });
    const next = iterator.next();
    await clock.advance(19_999);
    expect(standin.requests).toHaveLength(1);
    await clock.advance(1);
    expect((await next).value).toEqual({ type: 'text', text: 'ok' });
    expect(standin.requests).toHaveLength(2);
  });

  it("honours Retry-After as an HTTP date, and Gemini's RetryInfo delay in the error body", async () => {
    expect(parseRetryAfter(new Date(Date.UTC(2026, 11, 1, 8, 0, 30)).toUTCString(), Date.UTC(2026, 11, 1, 8, 0, 0))).toBe(30_000);
    expect(parseRetryAfter('soon', 0)).toBeNull();
    clock = new ManualClock();
    await clock.advance(Date.UTC(2026, 11, 1, 8, 0, 0));
    client = new GeminiModelClient({ apiKey: API_KEY, baseUrl: standin.baseUrl, retry: fastRetry, clock, random: () => 0.5 });
    standin.enqueue(
      { reply: { error: { status: 503, headers: { 'retry-after': new Date(Date.UTC(2026, 11, 1, 8, 0, 5)).toUTCString() } } } },
      { reply: { error: { status: 429, details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }] } } },
      { reply: { text: 'ok' } },
    );
    const iterator = client.generate(request(), new AbortController().signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'retry_wait', seconds: 5, reason: 'unavailable' });
    const second = iterator.next();
    await clock.advance(5_000);
    expect((await second).value).toEqual({ type: 'retry_wait', seconds: 7, reason: 'rate_limited' });
    const third = iterator.next();
    await clock.advance(7_000);
    expect((await third).value).toEqual({ type: 'text', text: 'ok' });
  });

  it('backs off with jitter when Gemini gives no wait, and gives up with a typed error after the last attempt', async () => {
    standin.enqueue(...Array.from({ length: 3 }, () => ({ reply: { error: { status: 429, message: `quota for ${API_KEY}` } } })));
    const iterator = client.generate(request(), new AbortController().signal)[Symbol.asyncIterator]();
    // random 0.5 → 75 % of 1 s, then of 2 s.
    expect((await iterator.next()).value).toEqual({ type: 'retry_wait', seconds: 1, reason: 'rate_limited' });
    const next = iterator.next();
    await clock.advance(750);
    expect((await next).value).toEqual({ type: 'retry_wait', seconds: 2, reason: 'rate_limited' });
    const failed = iterator.next().catch((caught: unknown) => caught);
    await clock.advance(1_500);
    const error = await failed;
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('rate_limited');
    expect(JSON.stringify((error as AppError).toShape())).not.toContain(API_KEY);
    expect(standin.requests).toHaveLength(3);
  });

  it('does not wait longer than the cap: a Retry-After of 10 minutes ends the run at once, saying how long', async () => {
    standin.enqueue({ reply: { error: { status: 429, headers: { 'retry-after': '600' } } } });
    const error = await collect(client.generate(request(), new AbortController().signal)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: 600 } });
    expect((error as AppError).message).toMatch(/600 s/);
    expect(standin.requests).toHaveLength(1);
  });

  it('does not retry a 500', async () => {
    standin.enqueue({ reply: { error: { status: 500, message: 'internal' } } }, { reply: { text: 'never' } });
    const error = await collect(client.generate(request(), new AbortController().signal)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'model_error', details: { status: 500 } });
    expect(standin.requests).toHaveLength(1);
  });

  it('ends a retry wait at once on cancel', async () => {
    standin.enqueue({ reply: { error: { status: 503, headers: { 'retry-after': '30' } } } });
    const controller = new AbortController();
    const iterator = client.generate(request(), controller.signal)[Symbol.asyncIterator]();
    await iterator.next();
    const failed = iterator.next().catch((caught: unknown) => caught);
    controller.abort(new AppError('cancelled', 'Stopped by the user.'));
    expect(await failed).toMatchObject({ code: 'cancelled' });
    expect(standin.requests).toHaveLength(1);
  });

  it('gives up on a model that accepts the request and never starts answering, after the first-chunk deadline', async () => {
    client = new GeminiModelClient({ apiKey: API_KEY, baseUrl: standin.baseUrl, clock, firstChunkTimeoutMs: 30_000, stallTimeoutMs: 20_000 });
    standin.enqueue({ reply: { hangBeforeFirstChunk: true } });
    const pending = collect(client.generate(request(), new AbortController().signal)).catch((caught: unknown) => caught);
    await standin.waitForRequests(1);
    await clock.advance(29_999);
    await clock.advance(1);
    const error = await pending;
    expect(error).toMatchObject({ code: 'timeout', details: { deadlineMs: 30_000 } });
    expect((error as AppError).message).toMatch(/30 s/);
  });

  it('gives up on a stream that stalls between chunks, after the stall deadline', async () => {
    client = new GeminiModelClient({ apiKey: API_KEY, baseUrl: standin.baseUrl, clock, firstChunkTimeoutMs: 30_000, stallTimeoutMs: 20_000 });
    standin.enqueue({ reply: { text: 'Đang tìm', hang: true } });
    const iterator = client.generate(request(), new AbortController().signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'text', text: 'Đang tìm' });
    const failed = iterator.next().catch((caught: unknown) => caught);
    await clock.advance(20_000);
    expect(await failed).toMatchObject({ code: 'timeout', details: { deadlineMs: 20_000 } });
  });

  it('rejects a wrong key with a typed model_error', async () => {
    const wrong = new GeminiModelClient({ apiKey: 'wrong-key-0123456789', baseUrl: standin.baseUrl, retry: fastRetry, clock });
    const error = await collect(wrong.generate(request(), new AbortController().signal)).catch((caught: unknown) => caught);
    expect((error as AppError).code).toBe('model_error');
    expect((error as AppError).message).toMatch(/API key/);
  });

  it('stops a hanging stream when aborted', async () => {
    standin.enqueue({ reply: { text: 'Đang tìm', hang: true } });
    const controller = new AbortController();
    const seen: ModelChunk[] = [];
    const error = await (async () => {
      for await (const chunk of client.generate(request(), controller.signal)) {
        seen.push(chunk);
        controller.abort(new AppError('cancelled', 'stopped by the user'));
      }
    })().catch((caught: unknown) => caught);
    expect(seen).toEqual([{ type: 'text', text: 'Đang tìm' }]);
    expect((error as AppError).code).toBe('cancelled');
  });

  it("counts tokens with the SDK's countTokens", async () => {
    const counted = await client.countTokens(
      'gemini-3-flash-preview',
      [{ role: 'user', parts: [{ text: 'x'.repeat(400) }] }],
      new AbortController().signal,
    );
    expect(counted).toBeGreaterThan(100);
    expect(standin.countRequests).toBe(1);
  });
});
