import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { GeminiModelClient } from '../../src/main/agent/geminiClient';
import type { ModelChunk, ModelRequest } from '../../src/main/agent/model';
import { startGeminiStandin, type GeminiStandin } from '../../src/main/agent/standin/geminiStandin';

const API_KEY = 'test-key-0123456789abcdef';
const fastRetry = { attempts: 3, initialDelaySeconds: 0.01, maxDelaySeconds: 0.02 };

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: 'gemini-2.5-flash',
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

describe('Gemini client on the real SDK against the stand-in', () => {
  let standin: GeminiStandin;
  let client: GeminiModelClient;
  beforeEach(async () => {
    standin = await startGeminiStandin({ apiKey: API_KEY });
    client = new GeminiModelClient({ apiKey: API_KEY, baseUrl: standin.baseUrl, retry: fastRetry });
  });
  afterEach(() => standin.close());

  it('streams text deltas and reports usage metadata', async () => {
    standin.enqueue({ expect: { tools: ['search_products'], systemIncludes: ['trợ lý MM'] }, reply: { text: ['Xin ', 'chào'] } });
    const chunks = await collect(client.generate(request(), new AbortController().signal));
    expect(chunks.filter((chunk) => chunk.type === 'text').map((chunk) => chunk.text)).toEqual(['Xin ', 'chào']);
    const usage = chunks.find((chunk) => chunk.type === 'usage');
    expect(usage).toMatchObject({ type: 'usage', usage: { estimated: false } });
    expect(standin.failures).toEqual([]);
    expect(standin.requests[0]).toMatchObject({ model: 'gemini-2.5-flash', stream: true, apiKey: API_KEY });
  });

  it('returns function calls and sends responses back in Gemini shape, without call ids Gemini did not issue', async () => {
    standin.enqueue(
      { reply: { functionCalls: [{ name: 'search_products', args: { query: 'sữa tươi' } }] } },
      { expect: { functionResponse: 'search_products', contentsExclude: ['mm-call-'], contentsInclude: ['"id":"gemini-1"'] }, reply: { text: 'Có 2 sản phẩm.' } },
    );
    const first = await collect(client.generate(request(), new AbortController().signal));
    const call = first.find((chunk) => chunk.type === 'function_call');
    expect(call).toMatchObject({ call: { name: 'search_products', args: { query: 'sữa tươi' } } });
    await collect(
      client.generate(
        request({
          contents: [
            { role: 'user', parts: [{ text: 'tìm sữa tươi' }] },
            { role: 'model', parts: [{ functionCall: { id: 'gemini-1', name: 'search_products', args: { query: 'sữa tươi' } } }, { functionCall: { id: 'mm-call-r1-0-1', name: 'search_products', args: { query: 'sữa' } } }] },
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
  });

  it('serves the unary generateContent method too', async () => {
    const { GoogleGenAI } = await import('@google/genai');
    const ai = new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: standin.baseUrl } });
    standin.enqueue({ reply: { text: 'một lần' } });
    const response = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'xin chào' });
    expect(response.text).toBe('một lần');
    expect(standin.requests[0]).toMatchObject({ stream: false });
  });

  it('backs off and retries on 503, then succeeds', async () => {
    standin.enqueue({ reply: { error: { status: 503 } } }, { reply: { text: 'ok' } });
    const chunks = await collect(client.generate(request(), new AbortController().signal));
    expect(chunks[0]).toEqual({ type: 'text', text: 'ok' });
    expect(standin.requests).toHaveLength(2);
  });

  it('gives a typed rate_limited error when 429 persists, without leaking the key', async () => {
    standin.enqueue(...Array.from({ length: 3 }, () => ({ reply: { error: { status: 429, message: `quota for ${API_KEY}` } } })));
    const error = await collect(client.generate(request(), new AbortController().signal)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('rate_limited');
    expect(JSON.stringify((error as AppError).toShape())).not.toContain(API_KEY);
    expect(standin.requests).toHaveLength(3);
  });

  it('rejects a wrong key with a typed model_error', async () => {
    const wrong = new GeminiModelClient({ apiKey: 'wrong-key-0123456789', baseUrl: standin.baseUrl, retry: fastRetry });
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
});
