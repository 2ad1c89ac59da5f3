/**
 * A local stand-in for the Gemini REST API as `@google/genai` calls it
 * (`POST /{version}/models/{model}:generateContent`, `:streamGenerateContent?alt=sse` and
 * `:countTokens`), driven by scripted steps. It is a test tool: Gemini itself cannot be reached here.
 *
 * Every request is checked against what the real API accepts (geminiRules.ts): documented schema
 * keywords only, alternating roles with every call answered, and — playing a Gemini 3 model, the
 * default — the thought signature it gave each step's first function call sent back in the
 * current turn. A broken rule is answered with HTTP 400, as the API does, and recorded in
 * `failures`. Each step may add its own expectations and answers with text, function calls (signed
 * like Gemini 3 or 2.5), recorded response chunks played back as they are, an HTTP error with
 * headers, or a stream that hangs. It listens on 127.0.0.1, port 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentsProblems, schemaProblems, signatureProblems, type RequestContent } from './geminiRules';

/** The stand-in's own token count (about 4 characters a token, Gemini's documented rule of thumb). */
export function standinTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

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
  /** Answer with this HTTP error instead (headers such as Retry-After, a body `details` list). */
  error?: { status: number; message?: string; headers?: Record<string, string>; details?: unknown[] };
  /** Send the first text chunk, then keep the stream open until the client aborts. */
  hang?: boolean;
  /** Send the response headers and nothing else until the client aborts. */
  hangBeforeFirstChunk?: boolean;
  /** Play these response chunks back exactly (recorded shapes); their signatures count as issued. */
  recorded?: Record<string, unknown>[];
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

export interface StandinOptions {
  apiKey?: string;
  /** Which model family to play: '3' signs the first call of each step and insists on getting it back. */
  family?: '3' | '2.5';
  /** Fail any request whose body is larger than this many tokens (stand-in count). */
  maxRequestTokens?: number;
}

export interface GeminiStandin {
  readonly baseUrl: string;
  readonly family: '3' | '2.5';
  /** Resolves once `count` generate requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  /** `countTokens` requests answered. */
  readonly countRequests: number;
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

export async function startGeminiStandin(options: StandinOptions = {}): Promise<GeminiStandin> {
  const family = options.family ?? '3';
  const queue: StandinStep[] = [];
  const requests: RecordedRequest[] = [];
  const failures: string[] = [];
  const issued = new Set<string>();
  const waiters: { count: number; resolve: () => void }[] = [];
  let countRequests = 0;
  let fallback: ((body: GeminiRequestBody) => StandinReply) | null = null;
  const sign = () => {
    const signature = Buffer.from(`standin-signature-${issued.size + 1}`).toString('base64');
    issued.add(signature);
    return signature;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const match = /^\/[^/]+\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/.exec(url.pathname);
      if (req.method !== 'POST' || !match) return sendError(res, 404, `no such method: ${req.method} ${url.pathname}`);
      const apiKey = headerValue(req.headers['x-goog-api-key']);
      if (options.apiKey !== undefined && apiKey !== options.apiKey) return sendError(res, 401, 'API key not valid');
      let body: GeminiRequestBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GeminiRequestBody;
      } catch {
        return sendError(res, 400, 'body is not JSON');
      }
      if (match[2] === 'countTokens') {
        countRequests++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ totalTokens: standinTokens(JSON.stringify(body.contents ?? [])) }));
        return;
      }
      const stream = match[2] === 'streamGenerateContent';
      requests.push({ model: match[1]!, stream, apiKey, body });
      for (const waiter of waiters.filter((candidate) => candidate.count <= requests.length)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const apiProblems = rulesProblems(body, family, issued, options.maxRequestTokens);
      const step = queue.shift();
      if (apiProblems.length > 0) {
        failures.push(`request ${requests.length}: ${apiProblems.join('; ')}`);
        return sendError(res, 400, apiProblems.join('; '), 'INVALID_ARGUMENT');
      }
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
      if (reply.error)
        return sendError(res, reply.error.status, reply.error.message ?? 'scripted error', undefined, reply.error.headers, reply.error.details);
      if (reply.recorded) return playBack(res, reply.recorded, stream, issued);
      respond(res, body, reply, stream, family, sign);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    family,
    waitForRequests: (count) => (count <= requests.length ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    get countRequests() {
      return countRequests;
    },
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

/** Checks every request against the API's rules, whatever the step expects. */
function rulesProblems(body: GeminiRequestBody, family: '3' | '2.5', issued: ReadonlySet<string>, maxTokens: number | undefined): string[] {
  const problems: string[] = [];
  for (const declaration of (body.tools ?? []).flatMap((tool) => tool.functionDeclarations ?? [])) {
    if (declaration.parameters !== undefined && declaration.parametersJsonSchema !== undefined)
      problems.push(`${declaration.name}: both parameters fields`);
    const schema = declaration.parametersJsonSchema ?? declaration.parameters;
    if (schema !== undefined) problems.push(...schemaProblems(schema).map((problem) => `${declaration.name}: ${problem}`));
  }
  const contents = (body.contents ?? []) as RequestContent[];
  problems.push(...contentsProblems(contents));
  if (family === '3') problems.push(...signatureProblems(contents, issued));
  if (maxTokens !== undefined) {
    const tokens = standinTokens(JSON.stringify(body));
    if (tokens > maxTokens) problems.push(`request of ${tokens} tokens is over the budget of ${maxTokens}`);
  }
  return problems;
}

function respond(
  res: http.ServerResponse,
  body: GeminiRequestBody,
  reply: StandinReply,
  stream: boolean,
  family: '3' | '2.5',
  sign: () => string,
): void {
  const texts = reply.text === undefined ? [] : Array.isArray(reply.text) ? reply.text : [reply.text];
  // Both families sign the first call of a step (2.5 thinking models do too); 3 insists on it later.
  const calls = (reply.functionCalls ?? []).map((call, index) => ({
    functionCall: { name: call.name, args: call.args ?? {} },
    ...(index === 0 ? { thoughtSignature: sign() } : {}),
  }));
  const promptTokenCount = standinTokens(JSON.stringify(body));
  const outputTokens = standinTokens(texts.join('') + JSON.stringify(calls));
  const usageMetadata = { promptTokenCount, candidatesTokenCount: outputTokens, totalTokenCount: promptTokenCount + outputTokens };
  const chunk = (parts: Record<string, unknown>[], last: boolean) => ({
    candidates: [{ content: { role: 'model', parts }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
    usageMetadata,
    modelVersion: `standin-${family}`,
  });
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(chunk([...texts.map((text) => ({ text })), ...calls], true)));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (reply.hangBeforeFirstChunk) return; // stays open until the client aborts or the stand-in closes
  const events = texts.map((text) => [{ text }] as Record<string, unknown>[]);
  if (reply.hang) {
    // Stays open until the client aborts (cancel) or the stand-in closes.
    res.write(`data: ${JSON.stringify(chunk(events[0] ?? [{ text: '…' }], false))}\r\n\r\n`);
    return;
  }
  if (calls.length > 0) events.push(calls);
  // Gemini 3 ends a text answer with an empty part carrying the signature.
  else if (family === '3') events.push([{ text: '', thoughtSignature: sign() }]);
  if (events.length === 0) events.push([{ text: '' }]);
  events.forEach((parts, index) => res.write(`data: ${JSON.stringify(chunk(parts, index === events.length - 1))}\r\n\r\n`));
  res.end();
}

/** Recorded chunks go out as they are; the signatures in them become ones this model issued. */
function playBack(res: http.ServerResponse, chunks: Record<string, unknown>[], stream: boolean, issued: Set<string>): void {
  const text = JSON.stringify(chunks);
  for (const match of text.matchAll(/"thoughtSignature":"([^"]+)"/g)) issued.add(match[1]!);
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(chunks.at(-1) ?? {}));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
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

function sendError(
  res: http.ServerResponse,
  status: number,
  message: string,
  statusText?: string,
  headers: Record<string, string> = {},
  details?: unknown[],
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  const name = statusText ?? (status === 429 ? 'RESOURCE_EXHAUSTED' : status === 503 ? 'UNAVAILABLE' : 'ERROR');
  res.end(JSON.stringify({ error: { code: status, message, status: name, ...(details ? { details } : {}) } }));
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
