/**
 * The store stand-in for tests and benchmarks: the app's demo store (src/main/commerce/demo) plus
 * what only tests need — faults switched on at run time, counters of what the store received, a
 * cart wipe, a 2.4.6-like schema and HTTPS. The shipped demo store has none of these.
 *
 * Imports no `?raw` module, so benchmarks (tsx) can use it with the SDL read from the file;
 * `startStandin` in test/commerce/helpers.ts is the tests' way in (bundled SDL, shared catalog).
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { prng, type DemoProduct } from '../../src/main/commerce/demo/catalog';
import type { GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { buildDemoSchema, withMutationFields } from '../../src/main/commerce/demo/schema';
import { DemoStore, type DemoStoreOptions } from '../../src/main/commerce/demo/server';

/** Failures a test can switch on at run time. Rates are 0..1, drawn from a seeded generator. */
export interface StoreFaults {
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

export const noFaults: StoreFaults = {
  latencyMs: 0,
  errorRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  resetRate: 0,
  maintenance: false,
  hang: false,
};

export interface StoreStandinOptions extends DemoStoreOptions {
  faults?: Partial<StoreFaults>;
  /** Serve HTTPS with this key and certificate (PEM), as the real store does. */
  tls?: { key: string; cert: string };
}

/**
 * The demo store's schema from `sdl` (`demoSchemaSdl` in vitest; read from `schema.graphql` in
 * benchmarks), with MM's fields on request, or without `createGuestCart`, like 2.4.6.
 */
export function standinSchema(sdl: string, options: { mmExtensions?: boolean; withoutCreateGuestCart?: boolean } = {}): GraphQLSchema {
  const schema = buildDemoSchema(sdl, { mmExtensions: options.mmExtensions ?? false });
  return options.withoutCreateGuestCart ? withMutationFields(schema, (fields) => delete fields.createGuestCart) : schema;
}

export interface StoreStandinStats {
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

export class StoreStandin extends DemoStore {
  faults: StoreFaults;
  private readonly random = prng(7);
  private readonly open = new Set<Socket>();
  private counters: StoreStandinStats = emptyStats();
  /** Stock as generated, of every product `setStock` changed: `close()` puts it back (the catalog is shared by a file's tests). */
  private readonly generatedStock = new Map<DemoProduct, number>();
  /** Requests wait for this while it is set (`hold`). */
  private held: Promise<void> | null = null;

  private constructor(options: StoreStandinOptions) {
    super(
      { schema: options.schema, storeCode: options.storeCode, catalog: options.catalog },
      options.tls ? https.createServer(options.tls) : http.createServer(),
      options.tls ? 'https' : 'http',
    );
    this.faults = { ...noFaults, ...options.faults };
    this.server.on('connection', (socket: Socket) => {
      this.open.add(socket);
      this.counters.connections++;
      this.counters.openConnections = this.open.size;
      this.counters.peakOpenConnections = Math.max(this.counters.peakOpenConnections, this.open.size);
      socket.on('close', () => {
        this.open.delete(socket);
        this.counters.openConnections = this.open.size;
      });
    });
    this.server.on('request', (req: http.IncomingMessage) => {
      this.counters.requests++;
      if (new URL(req.url ?? '/', 'http://store').pathname === '/graphql') {
        const method = req.method ?? '';
        this.counters.methods[method] = (this.counters.methods[method] ?? 0) + 1;
      }
    });
  }

  static override start(options: StoreStandinOptions): Promise<StoreStandin> {
    return new StoreStandin(options).listen();
  }

  get stats(): StoreStandinStats {
    return {
      ...this.counters,
      openConnections: this.open.size,
      operations: { ...this.counters.operations },
      methods: { ...this.counters.methods },
    };
  }

  resetStats(): void {
    this.counters = { ...emptyStats(), openConnections: this.open.size, peakOpenConnections: this.open.size };
  }

  setFaults(faults: Partial<StoreFaults>): void {
    this.faults = { ...noFaults, ...faults };
  }

  /**
   * Holds every GraphQL request from now on (counted, not answered) until the returned function
   * is called; then they are answered as usual (faults included). For a test that needs a request
   * under way at a moment it chooses.
   */
  hold(): () => void {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    this.held = held;
    return () => {
      if (this.held === held) this.held = null;
      release();
    };
  }

  /** Sets the stock of the products `pick` selects (0: out of stock) until the store closes; returns them. */
  setStock(pick: (product: DemoProduct) => boolean, quantity: number): DemoProduct[] {
    const picked = this.catalog.products.filter(pick);
    for (const product of picked) {
      if (!this.generatedStock.has(product)) this.generatedStock.set(product, product.salableQty);
      product.salableQty = quantity;
    }
    this.resolvers.forgetProductViews();
    return picked;
  }

  override async close(): Promise<void> {
    for (const [product, quantity] of this.generatedStock) product.salableQty = quantity;
    this.generatedStock.clear();
    this.resolvers.forgetProductViews();
    await super.close();
  }

  /** Forgets every cart, as a store does when carts expire. */
  dropCarts(): void {
    this.resolvers.carts.clear();
  }

  /** Counts the request, then applies the configured faults; true when a fault answered (or abandoned) it. */
  protected override async intercept(operation: OperationDefinitionNode | null | undefined, res: http.ServerResponse): Promise<boolean> {
    if (operation) {
      const name = operation.name?.value ?? operation.operation;
      this.counters.operations[name] = (this.counters.operations[name] ?? 0) + 1;
      if (operation.operation === 'mutation') this.counters.mutations++;
      else this.counters.queries++;
    }
    if (this.held) await this.held;
    const faults = this.faults;
    if (faults.hang) return true;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.maintenance) {
      send(res, 503, 'text/html; charset=utf-8', MAINTENANCE_PAGE);
      return true;
    }
    if (faults.rateLimitRate > 0 && this.random() < faults.rateLimitRate) {
      res.setHeader('Retry-After', String(faults.retryAfterSeconds));
      send(res, 429, 'application/json', JSON.stringify({ errors: [{ message: 'Too Many Requests' }] }));
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
}

function emptyStats(): StoreStandinStats {
  return { connections: 0, openConnections: 0, peakOpenConnections: 0, requests: 0, queries: 0, mutations: 0, operations: {}, methods: {} };
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
