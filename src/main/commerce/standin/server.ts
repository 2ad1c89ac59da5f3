import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import {
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { generateCatalog, prng, type StandinCatalog } from './catalog';
import { StandinStore } from './resolvers';
import { buildStandinSchema } from './schema';

/** Failures a test can switch on at run time. Rates are 0..1, drawn from a seeded generator. */
export interface StandinFaults {
  latencyMs: number;
  /** Share of GraphQL requests answered 503. */
  errorRate: number;
  /** Share answered 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitRate: number;
  retryAfterSeconds: number;
  /** Share whose connection is reset after half a response. */
  resetRate: number;
  /** Every request gets Magento's HTML maintenance page (503). */
  maintenance: boolean;
  /** Requests get no answer at all until the server closes. */
  hang: boolean;
}

export const noFaults: StandinFaults = {
  latencyMs: 0,
  errorRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  resetRate: 0,
  maintenance: false,
  hang: false,
};

export interface StandinOptions {
  /** The SDL to serve (`schemaSource.ts` in the app; read from the file in benchmarks). */
  schemaSdl: string;
  storeCode?: string;
  mmExtensions?: boolean;
  withoutCreateGuestCart?: boolean;
  catalog?: StandinCatalog;
  faults?: Partial<StandinFaults>;
  host?: string;
  port?: number;
  /** Serve HTTPS with this key and certificate (PEM), as the real store does. */
  tls?: { key: string; cert: string };
}

export interface StandinStats {
  connections: number;
  openConnections: number;
  peakOpenConnections: number;
  requests: number;
  /** GraphQL requests received, by operation type, before any fault is applied. */
  queries: number;
  mutations: number;
  /** GraphQL requests by HTTP method. */
  methods: Record<string, number>;
  /** By operation name (or root field when anonymous). */
  operations: Record<string, number>;
}

const MAINTENANCE_PAGE = `<!doctype html><html><head><title>Service Unavailable</title></head>
<body><h1>Service Temporarily Unavailable</h1><p>The server is temporarily unable to service your request due to maintenance downtime.</p></body></html>`;

const MAX_BODY_BYTES = 1024 * 1024;

/** A Magento-like GraphQL store on loopback, for tests, benchmarks and the app's demo mode. */
export class StandinServer {
  readonly store: StandinStore;
  readonly schema: GraphQLSchema;
  readonly storeCode: string;
  faults: StandinFaults;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly documents = new Map<string, { document: DocumentNode; errors: readonly GraphQLError[] }>();
  private readonly rootValue: Record<string, unknown>;
  private readonly random = prng(7);
  private counters: StandinStats = emptyStats();
  private url = '';
  private readonly scheme: 'http' | 'https';

  private constructor(options: StandinOptions) {
    this.storeCode = options.storeCode ?? 'b2c_10010_vi';
    this.schema = buildStandinSchema(options.schemaSdl, {
      mmExtensions: options.mmExtensions ?? false,
      withoutCreateGuestCart: options.withoutCreateGuestCart ?? false,
    });
    this.store = new StandinStore(options.catalog ?? generateCatalog(), this.storeCode);
    this.rootValue = this.store.rootValue();
    this.faults = { ...noFaults, ...options.faults };
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    this.server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
    this.scheme = options.tls ? 'https' : 'http';
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      this.counters.connections++;
      this.counters.openConnections = this.sockets.size;
      this.counters.peakOpenConnections = Math.max(this.counters.peakOpenConnections, this.sockets.size);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.counters.openConnections = this.sockets.size;
      });
    });
  }

  static async start(options: StandinOptions): Promise<StandinServer> {
    const standin = new StandinServer(options);
    await new Promise<void>((resolve, reject) => {
      standin.server.once('error', reject);
      standin.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const address = standin.server.address() as AddressInfo;
    standin.url = `${standin.scheme}://${address.address}:${address.port}`;
    standin.store.setBaseUrl(standin.url);
    return standin;
  }

  /** The GraphQL endpoint, e.g. `http://127.0.0.1:43121/graphql`. */
  get endpoint(): string {
    return `${this.url}/graphql`;
  }

  get stats(): StandinStats {
    return {
      ...this.counters,
      openConnections: this.sockets.size,
      operations: { ...this.counters.operations },
      methods: { ...this.counters.methods },
    };
  }

  resetStats(): void {
    this.counters = { ...emptyStats(), openConnections: this.sockets.size, peakOpenConnections: this.sockets.size };
  }

  setFaults(faults: Partial<StandinFaults>): void {
    this.faults = { ...noFaults, ...faults };
  }

  /** Stops listening and drops every connection, hung ones included. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.counters.requests++;
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'GET' && url.pathname.startsWith('/media/catalog/product/')) {
      this.serveImage(url.pathname, res);
      return;
    }
    if (url.pathname !== '/graphql') {
      send(res, 404, 'text/plain; charset=utf-8', 'Not found');
      return;
    }

    const method = req.method ?? '';
    this.counters.methods[method] = (this.counters.methods[method] ?? 0) + 1;
    let query: string | undefined;
    let variables: Record<string, unknown> | undefined;
    let operationName: string | undefined;
    try {
      if (req.method === 'GET') {
        query = url.searchParams.get('query') ?? undefined;
        const raw = url.searchParams.get('variables');
        variables = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
        operationName = url.searchParams.get('operationName') ?? undefined;
      } else if (req.method === 'POST') {
        const body = JSON.parse(await readBody(req)) as { query?: string; variables?: Record<string, unknown>; operationName?: string };
        ({ query, variables, operationName } = body);
      } else {
        send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed');
        return;
      }
    } catch {
      sendJson(res, 400, { errors: [{ message: 'Unable to parse the request.', extensions: { category: 'graphql-input' } }] });
      return;
    }
    if (!query) {
      sendJson(res, 200, { errors: [{ message: 'Syntax Error: Unexpected <EOF>.', extensions: { category: 'graphql' } }] });
      return;
    }

    const prepared = this.prepare(query);
    const operation = getOperationAST(prepared.document, operationName);
    if (operation) {
      const name = operation.name?.value ?? operation.operation;
      this.counters.operations[name] = (this.counters.operations[name] ?? 0) + 1;
      if (operation.operation === 'mutation') this.counters.mutations++;
      else this.counters.queries++;
    }

    if (await this.injectFault(res)) return;

    if (prepared.errors.length > 0) {
      sendJson(res, 200, { errors: prepared.errors.map((error) => ({ ...error.toJSON(), extensions: { category: 'graphql' } })) });
      return;
    }
    if (operation?.operation === 'mutation' && req.method !== 'POST') {
      sendJson(res, 200, { errors: [{ message: 'Mutation requests allowed only for POST requests', extensions: { category: 'graphql' } }] });
      return;
    }
    const store = req.headers.store;
    if (store !== this.storeCode) {
      sendJson(res, 200, { errors: [{ message: 'Requested store is not found', extensions: { category: 'graphql-no-such-entity' } }] });
      return;
    }
    const result = (await execute({
      schema: this.schema,
      document: prepared.document,
      rootValue: this.rootValue,
      variableValues: variables ?? {},
      operationName: operationName ?? null,
    })) as ExecutionResult;
    sendJson(res, 200, {
      ...(result.errors ? { errors: result.errors.map((error) => formatError(error)) } : {}),
      data: result.data ?? null,
    });
  }

  private prepare(query: string) {
    let prepared = this.documents.get(query);
    if (!prepared) {
      try {
        const document = parse(query);
        prepared = { document, errors: validate(this.schema, document) };
      } catch (error) {
        prepared = { document: { kind: 'Document', definitions: [] } as unknown as DocumentNode, errors: [error as GraphQLError] };
      }
      if (this.documents.size > 1000) this.documents.clear();
      this.documents.set(query, prepared);
    }
    return prepared;
  }

  /** Applies the configured faults; true when the request was answered (or abandoned) by one. */
  private async injectFault(res: http.ServerResponse): Promise<boolean> {
    const faults = this.faults;
    if (faults.hang) return true;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.maintenance) {
      send(res, 503, 'text/html; charset=utf-8', MAINTENANCE_PAGE);
      return true;
    }
    if (faults.rateLimitRate > 0 && this.random() < faults.rateLimitRate) {
      res.setHeader('Retry-After', String(faults.retryAfterSeconds));
      sendJson(res, 429, { errors: [{ message: 'Too Many Requests' }] });
      return true;
    }
    if (faults.errorRate > 0 && this.random() < faults.errorRate) {
      send(res, 503, 'text/plain; charset=utf-8', 'Service Unavailable');
      return true;
    }
    if (faults.resetRate > 0 && this.random() < faults.resetRate) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '4096' });
      res.write('{"data":{"products":');
      res.socket?.destroy();
      return true;
    }
    return false;
  }

  private serveImage(pathname: string, res: http.ServerResponse): void {
    const sku = /\/([0-9A-Za-z_-]+)\.svg$/.exec(pathname)?.[1];
    const product = sku ? this.store.catalog.bySku.get(sku) : undefined;
    if (!product) {
      send(res, 404, 'text/plain; charset=utf-8', 'Not found');
      return;
    }
    const hue = (Number(product.sku) * 47) % 360;
    const words = product.name.split(' ');
    const lines = [words.slice(0, 3).join(' '), words.slice(3, 6).join(' '), product.unit].map(escapeXml);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">
<rect width="240" height="240" rx="16" fill="hsl(${hue},55%,88%)"/>
<rect x="70" y="40" width="100" height="100" rx="12" fill="hsl(${hue},55%,55%)"/>
<text x="120" y="170" font-family="sans-serif" font-size="15" text-anchor="middle" fill="#222">${lines[0]}</text>
<text x="120" y="190" font-family="sans-serif" font-size="13" text-anchor="middle" fill="#444">${lines[1]}</text>
<text x="120" y="212" font-family="sans-serif" font-size="13" font-weight="bold" text-anchor="middle" fill="#0b5">${lines[2]}</text>
</svg>`;
    res.setHeader('Cache-Control', 'public, max-age=86400');
    send(res, 200, 'image/svg+xml', svg);
  }
}

function emptyStats(): StandinStats {
  return { connections: 0, openConnections: 0, peakOpenConnections: 0, requests: 0, queries: 0, mutations: 0, operations: {}, methods: {} };
}

function formatError(error: GraphQLError) {
  const category = (error.extensions as { category?: string } | undefined)?.category ?? 'graphql';
  return { ...error.toJSON(), extensions: { category } };
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json', JSON.stringify(value));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
