import type { Settings } from '@shared/settings';
import { Emitter } from '../core/emitter';
import { errorFacts, silentLogger, type Logger } from '../core/logger';
import type { Db } from '../storage/database';
import { MemoryCartIdStore, SqliteCartIdStore } from './cartIds';
import { CommerceClient, type CommerceEvents } from './client';
import type { DemoStore } from './demo';
import { SqliteVocabularyStore } from './vocabularyStore';

/** What the app asks of the store; the connection below serves it from whichever store is configured. */
export type StoreApi = Pick<
  CommerceClient,
  'searchProducts' | 'getProduct' | 'categories' | 'storeConfig' | 'getCart' | 'addToCart' | 'updateCartItem' | 'removeCartItem'
>;

interface StoreDeps {
  db: Db | null;
  /** MM Mega Market's extension fields (env `MM_STORE_EXTENSIONS=1`). */
  mmExtensions: boolean;
  /** The `commerce` child logger; the client, its transport and the demo store log through it. */
  logger?: Logger;
}

interface OpenStore {
  /** endpoint, store code and demo flag: a change of any of them means another store. */
  key: string;
  client: CommerceClient;
  demo: DemoStore | null;
}

const keyOf = (settings: Settings) => `${settings.demoStore ? 'demo' : settings.storeEndpoint}|${settings.storeCode}`;

/**
 * Builds the store client from the settings. With `demoStore` the demo store runs in this process
 * on loopback and the client talks to it, so the app works with no network.
 */
async function openStore(settings: Settings, deps: StoreDeps): Promise<OpenStore> {
  const { db, mmExtensions } = deps;
  const logger = deps.logger ?? silentLogger();
  // The demo store (and graphql-js) load only when the demo store is used.
  const demo = settings.demoStore
    ? await import('./demo').then(({ startDemoStore }) => startDemoStore({ storeCode: settings.storeCode, mmExtensions, logger }))
    : null;
  const endpoint = demo?.endpoint ?? settings.storeEndpoint;
  // Demo carts live only as long as the demo store, so they are kept apart from real ones.
  const storeKey = `${demo ? 'demo' : endpoint}|${settings.storeCode}`;
  const client = new CommerceClient({
    endpoint,
    storeCode: settings.storeCode,
    mmExtensions,
    cartIds: db && !demo ? new SqliteCartIdStore(db, storeKey) : new MemoryCartIdStore(),
    // The words a store's names teach the search are kept per store, the demo store's too (its catalog never changes).
    vocabulary: db ? new SqliteVocabularyStore(db, storeKey) : null,
    interactiveDeadlineMs: settings.storeDeadlineSeconds * 1000,
    warmUpVocabulary: true,
    // The demo store is local and trusted: no request budget to respect.
    ...(demo ? { rateLimit: { maxRequests: 10_000, windowMs: 60_000, maxQueue: 1000 } } : {}),
    logger,
  });
  // The origin only (the client has parsed the URL by now): an endpoint could carry credentials or a query.
  logger.info({ store: new URL(endpoint).origin, storeCode: settings.storeCode, demo: demo !== null, mmExtensions }, 'store client ready');
  return { key: keyOf(settings), client, demo };
}

async function closeStore(store: OpenStore): Promise<void> {
  await store.client.close();
  await store.demo?.close();
}

/**
 * The app's one connection to the store. When the staff changes the endpoint, the store code or
 * the demo setting, the next call goes to the new store; calls still running on the old one are
 * ended with a `closed` error rather than left hanging.
 */
export class StoreConnection implements StoreApi {
  /** The events of whichever store is in use: listeners stay subscribed when the store changes. */
  readonly events = new Emitter<CommerceEvents>((error, name) =>
    this.log.warn({ event: name, ...errorFacts(error) }, 'a store event listener failed'),
  );
  private switching: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private current: OpenStore,
    private readonly deps: StoreDeps & { logger: Logger },
  ) {
    this.follow(current.client);
  }

  static async open(settings: Settings, deps: StoreDeps): Promise<StoreConnection> {
    const withLogger = { ...deps, logger: deps.logger ?? silentLogger() };
    return new StoreConnection(await openStore(settings, withLogger), withLogger);
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  /** The client of the store in use now (tests look at its transport). */
  get client(): CommerceClient {
    return this.current.client;
  }

  get demo(): DemoStore | null {
    return this.current.demo;
  }

  /** Switches stores when the settings name another one; switches run one after another. A new deadline applies to the next call. */
  reconfigure(settings: Settings): Promise<void> {
    this.current.client.setInteractiveDeadline(settings.storeDeadlineSeconds * 1000);
    // A previous switch's failure went to its own caller (the settings handler, which logs it).
    this.switching = this.switching
      .catch(() => undefined)
      .then(async () => {
        if (this.closed || keyOf(settings) === this.current.key) return;
        const next = await openStore(settings, this.deps);
        this.follow(next.client);
        const previous = this.current;
        this.current = next;
        await closeStore(previous).catch((error: unknown) => {
          // The switch itself succeeded: the new store serves the next call whatever became of the old one.
          this.log.warn({ err: error }, 'the previous store client did not close cleanly');
        });
      });
    return this.switching;
  }

  searchProducts: StoreApi['searchProducts'] = (input) => this.current.client.searchProducts(input);
  getProduct: StoreApi['getProduct'] = (input) => this.current.client.getProduct(input);
  categories: StoreApi['categories'] = (signal) => this.current.client.categories(signal);
  storeConfig: StoreApi['storeConfig'] = (signal) => this.current.client.storeConfig(signal);
  getCart: StoreApi['getCart'] = (input) => this.current.client.getCart(input);
  addToCart: StoreApi['addToCart'] = (input) => this.current.client.addToCart(input);
  updateCartItem: StoreApi['updateCartItem'] = (input) => this.current.client.updateCartItem(input);
  removeCartItem: StoreApi['removeCartItem'] = (input) => this.current.client.removeCartItem(input);

  async close(): Promise<void> {
    this.closed = true;
    // Only waiting for a switch to end; its failure went to its own caller.
    await this.switching.catch(() => undefined);
    await closeStore(this.current);
  }

  /** Passes on what a newly opened store's client announces. */
  private follow(client: CommerceClient): void {
    client.events.on('cartChanged', (change) => this.events.emit('cartChanged', change));
  }
}
