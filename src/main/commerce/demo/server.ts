import http from 'node:http';
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
  type OperationDefinitionNode,
} from 'graphql';
import { errorFacts, silentLogger, type Logger } from '../../core/logger';
import { generateCatalog, type DemoCatalog } from './catalog';
import { DemoResolvers } from './resolvers';

export interface DemoStoreOptions {
  /** The schema to serve: `buildDemoSchema(demoSchemaSdl, ...)` (see `index.ts`). */
  schema: GraphQLSchema;
  storeCode?: string;
  /** The generated catalog by default. */
  catalog?: DemoCatalog;
  /** Requests the store could not answer (a fault in the store itself). */
  logger?: Logger;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The demo store: a Magento-like GraphQL store on loopback, serving the generated catalog and guest
 * carts, with product images drawn as SVG. The app runs it in-process with `--demo` (or the
 * setting); tests and benchmarks run it too (test/helpers/storeStandin.ts adds faults and counters).
 */
export class DemoStore {
  readonly schema: GraphQLSchema;
  readonly storeCode: string;
  protected readonly resolvers: DemoResolvers;
  protected readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly documents = new Map<string, { document: DocumentNode; errors: readonly GraphQLError[] }>();
  private readonly rootValue: Record<string, unknown>;
  private readonly log: Logger;
  private url = '';

  /** `server` is a plain HTTP server unless a subclass brings another (an HTTPS one, with `scheme`). */
  protected constructor(
    options: DemoStoreOptions,
    server: http.Server = http.createServer(),
    private readonly scheme: 'http' | 'https' = 'http',
  ) {
    this.storeCode = options.storeCode ?? 'b2c_10010_vi';
    this.schema = options.schema;
    this.resolvers = new DemoResolvers(options.catalog ?? generateCatalog(), this.storeCode);
    this.rootValue = this.resolvers.rootValue();
    this.log = options.logger ?? silentLogger();
    this.server = server;
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        // A fault in the store must answer 500, not end the app's process as an unhandled rejection.
        this.log.error({ ...errorFacts(error) }, 'the demo store failed to answer a request');
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error');
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts the store on 127.0.0.1, on a free port. */
  static start(options: DemoStoreOptions): Promise<DemoStore> {
    return new DemoStore(options).listen();
  }

  protected async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.url = `${this.scheme}://${address.address}:${address.port}`;
    this.resolvers.setBaseUrl(this.url);
    return this;
  }

  /** The products and categories the store serves. */
  get catalog(): DemoCatalog {
    return this.resolvers.catalog;
  }

  /** The GraphQL endpoint, e.g. `http://127.0.0.1:43121/graphql`. */
  get endpoint(): string {
    return `${this.url}/graphql`;
  }

  /** Stops listening and drops every connection, hung ones included. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /**
   * Runs for every GraphQL request once its operation (if the document names one) is known, before
   * the store answers it; true when it answered (or abandoned) the request itself. The demo store
   * answers every request; the tests' stand-in store overrides this to count requests and inject faults.
   */
  protected intercept(_operation: OperationDefinitionNode | null | undefined, _res: http.ServerResponse): boolean | Promise<boolean> {
    return false;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'GET' && url.pathname.startsWith('/media/catalog/product/')) {
      this.serveImage(url.pathname, res);
      return;
    }
    if (url.pathname !== '/graphql') {
      send(res, 404, 'text/plain; charset=utf-8', 'Not found');
      return;
    }

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
      // The client's fault, answered as Magento does; nothing to log.
      sendJson(res, 400, { errors: [{ message: 'Unable to parse the request.', extensions: { category: 'graphql-input' } }] });
      return;
    }
    if (!query) {
      sendJson(res, 200, { errors: [{ message: 'Syntax Error: Unexpected <EOF>.', extensions: { category: 'graphql' } }] });
      return;
    }

    const prepared = this.prepare(query);
    const operation = getOperationAST(prepared.document, operationName);
    if (await this.intercept(operation, res)) return;

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
        // A syntax error is answered to the client as GraphQL errors, as Magento does.
        prepared = { document: { kind: 'Document', definitions: [] } as unknown as DocumentNode, errors: [error as GraphQLError] };
      }
      if (this.documents.size > 1000) this.documents.clear();
      this.documents.set(query, prepared);
    }
    return prepared;
  }

  private serveImage(pathname: string, res: http.ServerResponse): void {
    const sku = /\/([0-9A-Za-z_-]+)\.svg$/.exec(pathname)?.[1];
    const product = sku ? this.resolvers.catalog.bySku.get(sku) : undefined;
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
