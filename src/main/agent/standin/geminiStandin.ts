/**
 * A local stand-in for the Gemini REST API as `@google/genai` calls it
 * (`POST /{version}/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`), driven
 * by scripted steps. Each step checks the request (tools declared, function responses present,
 * context size, ...) and answers with text, function calls, an HTTP error, or a stream that hangs
 * until the client goes away. Tests and the benchmark point the real SDK at it with
 * `httpOptions.baseUrl`. It listens on 127.0.0.1, port 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { estimateTokens } from '../model';

export interface StandinExpectations {
  /** Tool names that must be declared. */
  tools?: string[];
  /** Tool names that must not be declared. */
  noTools?: string[];
  /** The last content must carry a function response from this tool. */
  functionResponse?: string;
  /** Substrings the system instruction must (not) contain. */
  systemIncludes?: string[];
  systemExcludes?: string[];
  /** Substrings the contents must (not) contain (JSON text). */
  contentsInclude?: string[];
  contentsExclude?: string[];
  /** Upper bound on the number of contents (the context window). */
  maxContents?: number;
}

export interface StandinReply {
  /** Streamed as one chunk per string. */
  text?: string | string[];
  functionCalls?: { name: string; args?: unknown }[];
  /** Answer with this HTTP error instead. */
  error?: { status: number; message?: string };
  /** Send the first text chunk, then keep the stream open until the client aborts. */
  hang?: boolean;
}

export interface StandinStep {
  expect?: StandinExpectations;
  /** A function computes the reply from the request (e.g. picks a sku from a function response). */
  reply: StandinReply | ((body: GeminiRequestBody) => StandinReply);
}

export interface RecordedRequest {
  model: string;
  stream: boolean;
  apiKey: string | undefined;
  body: GeminiRequestBody;
}

export interface GeminiRequestBody {
  contents?: { role?: string; parts?: Record<string, unknown>[] }[];
  systemInstruction?: { parts?: { text?: string }[] };
  tools?: { functionDeclarations?: { name: string; parametersJsonSchema?: unknown; parameters?: unknown }[] }[];
  generationConfig?: Record<string, unknown>;
}

export interface GeminiStandin {
  readonly baseUrl: string;
  /** Steps are consumed in order, one per request. */
  enqueue(...steps: StandinStep[]): void;
  /** Answers requests when no scripted step is left (the benchmark's zero-latency model). */
  setFallback(reply: ((body: GeminiRequestBody) => StandinReply) | null): void;
  readonly requests: readonly RecordedRequest[];
  /** Expectations that failed (also answered with HTTP 400, so the run fails visibly). */
  readonly failures: readonly string[];
  readonly pending: number;
  close(): Promise<void>;
}

export async function startGeminiStandin(options: { apiKey?: string } = {}): Promise<GeminiStandin> {
  const queue: StandinStep[] = [];
  const requests: RecordedRequest[] = [];
  const failures: string[] = [];
  let fallback: ((body: GeminiRequestBody) => StandinReply) | null = null;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const match = /^\/[^/]+\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(url.pathname);
      if (req.method !== 'POST' || !match) return sendError(res, 404, `no such method: ${req.method} ${url.pathname}`);
      const apiKey = headerValue(req.headers['x-goog-api-key']);
      if (options.apiKey !== undefined && apiKey !== options.apiKey) return sendError(res, 401, 'API key not valid');
      let body: GeminiRequestBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GeminiRequestBody;
      } catch {
        return sendError(res, 400, 'body is not JSON');
      }
      const stream = match[2] === 'streamGenerateContent';
      requests.push({ model: match[1]!, stream, apiKey, body });
      const step = queue.shift();
      const reply = step ? (typeof step.reply === 'function' ? step.reply(body) : step.reply) : fallback?.(body);
      if (!reply) {
        failures.push(`request ${requests.length}: no scripted step left`);
        return sendError(res, 400, 'stand-in: no scripted step left');
      }
      const problems = step?.expect ? check(step.expect, body) : [];
      if (problems.length > 0) {
        failures.push(`request ${requests.length}: ${problems.join('; ')}`);
        return sendError(res, 400, `stand-in expectation failed: ${problems.join('; ')}`);
      }
      if (reply.error) return sendError(res, reply.error.status, reply.error.message ?? 'scripted error');
      respond(res, body, reply, stream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    enqueue: (...steps) => queue.push(...steps),
    setFallback: (reply) => {
      fallback = reply;
    },
    requests,
    failures,
    get pending() {
      return queue.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function respond(res: http.ServerResponse, body: GeminiRequestBody, reply: StandinReply, stream: boolean): void {
  const texts = reply.text === undefined ? [] : Array.isArray(reply.text) ? reply.text : [reply.text];
  const calls = (reply.functionCalls ?? []).map((call) => ({ functionCall: { name: call.name, args: call.args ?? {} } }));
  const promptTokenCount = estimateTokens(JSON.stringify(body));
  const outputTokens = estimateTokens(texts.join('') + JSON.stringify(calls));
  const usageMetadata = { promptTokenCount, candidatesTokenCount: outputTokens, totalTokenCount: promptTokenCount + outputTokens };
  const chunk = (parts: Record<string, unknown>[], last: boolean) => ({
    candidates: [{ content: { role: 'model', parts }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
    usageMetadata,
    modelVersion: 'standin',
  });
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(chunk([...texts.map((text) => ({ text })), ...calls], true)));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const events = texts.map((text) => [{ text }] as Record<string, unknown>[]);
  if (reply.hang) {
    // Stays open until the client aborts (cancel) or the stand-in closes.
    res.write(`data: ${JSON.stringify(chunk(events[0] ?? [{ text: '…' }], false))}\r\n\r\n`);
    return;
  }
  if (calls.length > 0) events.push(calls);
  if (events.length === 0) events.push([{ text: '' }]);
  events.forEach((parts, index) => res.write(`data: ${JSON.stringify(chunk(parts, index === events.length - 1))}\r\n\r\n`));
  res.end();
}

function check(expect: StandinExpectations, body: GeminiRequestBody): string[] {
  const problems: string[] = [];
  const declared = new Set((body.tools ?? []).flatMap((tool) => tool.functionDeclarations ?? []).map((fn) => fn.name));
  for (const name of expect.tools ?? []) if (!declared.has(name)) problems.push(`tool ${name} not declared`);
  for (const name of expect.noTools ?? []) if (declared.has(name)) problems.push(`tool ${name} declared`);
  const contents = body.contents ?? [];
  if (expect.functionResponse) {
    const lastParts = contents.at(-1)?.parts ?? [];
    const found = lastParts.some((part) => (part.functionResponse as { name?: string } | undefined)?.name === expect.functionResponse);
    if (!found) problems.push(`last content has no function response from ${expect.functionResponse}`);
  }
  const system = (body.systemInstruction?.parts ?? []).map((part) => part.text ?? '').join('\n');
  for (const text of expect.systemIncludes ?? []) if (!system.includes(text)) problems.push(`system instruction lacks "${text}"`);
  for (const text of expect.systemExcludes ?? []) if (system.includes(text)) problems.push(`system instruction has "${text}"`);
  const contentsText = JSON.stringify(contents);
  for (const text of expect.contentsInclude ?? []) if (!contentsText.includes(text)) problems.push(`contents lack "${text}"`);
  for (const text of expect.contentsExclude ?? []) if (contentsText.includes(text)) problems.push(`contents have "${text}"`);
  if (expect.maxContents !== undefined && contents.length > expect.maxContents) {
    problems.push(`${contents.length} contents, more than ${expect.maxContents}`);
  }
  return problems;
}

function sendError(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: status, message, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'ERROR' } }));
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
