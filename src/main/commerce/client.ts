import type { CartResult, CategorySummary, ProductDetail, ProductSearchResult, StoreInfo } from '@shared/commerce';
import { productRequestSchema } from '@shared/contract/commerce';
import { AppError } from '@shared/errors';
import { Emitter } from '../core/emitter';
import { errorFacts, silentLogger, type Logger } from '../core/logger';
import type { CartIdStore } from './cartIds';
import { Carts, type CartEvents } from './carts';
import { parseInput } from './input';
import { DEFAULT_INTERACTIVE_DEADLINE_MS, InteractiveCall, type CallContext, type InteractiveInput } from './interactiveCall';
import { buildOperations, type Operations } from './operations';
import { ProductSearch, type SearchInput } from './search';
import { shapeCategory, shapeProductDetail, type RawCategory, type RawProducts } from './shape';
import { GraphQLTransport, type TransportOptions } from './transport';
import { SearchVocabulary, type VocabularyLimits, type VocabularyStore } from './vocabulary';

export type { SearchInput } from './search';
export type { InteractiveInput } from './interactiveCall';

/** What the store client announces, in its own terms (the composition root forwards them to the UI). */
export type CommerceEvents = CartEvents;

export interface CommerceClientOptions extends Partial<Omit<TransportOptions, 'endpoint'>> {
  endpoint: string;
  /** MM Mega Market's own fields (`ecom_name`, `unit_ecom`, `art_no`); off for a stock Magento. */
  mmExtensions?: boolean;
  /** The store's minimum search length (Magento's default is 3). */
  minQueryLength?: number;
  cartIds: CartIdStore;
  /** Where the search vocabulary learned from this store is kept (SQLite in the app); in memory only without. */
  vocabulary?: VocabularyStore | null;
  vocabularyLimits?: VocabularyLimits;
  /** A new vocabulary learns from every department first, in the background (`search.ts`); off unless asked for. */
  warmUpVocabulary?: boolean;
  /**
   * How long an interactive call (search, product, cart, categories, store config) may take,
   * retries included (Settings › store wait, 10 s by default). `deadlineMs` bounds background work.
   */
  interactiveDeadlineMs?: number;
}

/**
 * The app's store client: catalog search that explains itself (`search.ts`), product detail,
 * categories, store config, and per-customer carts that repair themselves (`carts.ts`), whose ids
 * live in SQLite. Built on one `GraphQLTransport`; `events` says when a cart changed. Every call
 * is interactive (`interactiveCall.ts`): it answers or fails within the interactive deadline and
 * tells `onWait` when it keeps the staff waiting.
 */
export class CommerceClient {
  readonly transport: GraphQLTransport;
  /** `cartChanged` after every cart add or change, and when a lost cart was replaced. */
  readonly events = new Emitter<CommerceEvents>((error, name) =>
    this.log.warn({ event: name, ...errorFacts(error) }, 'a store event listener failed'),
  );
  private readonly operations: Operations;
  private readonly mmExtensions: boolean;
  private readonly storeBaseUrl: string;
  private readonly search: ProductSearch;
  private readonly carts: Carts;
  private categoryTree: Promise<CategorySummary[]> | null = null;
  private readonly log: Logger;
  /** The store's spelling, learned from the names it shows (see `vocabulary.ts`). */
  readonly vocabulary: SearchVocabulary;
  private interactiveDeadlineMs: number;

  constructor(options: CommerceClientOptions) {
    const logger = options.logger ?? silentLogger();
    this.log = logger;
    this.transport = new GraphQLTransport({ ...options, logger });
    this.mmExtensions = options.mmExtensions ?? false;
    this.operations = buildOperations(this.mmExtensions);
    this.storeBaseUrl = new URL('/', options.endpoint).toString();
    this.interactiveDeadlineMs = options.interactiveDeadlineMs ?? DEFAULT_INTERACTIVE_DEADLINE_MS;
    this.vocabulary = new SearchVocabulary(options.vocabulary ?? null, logger, options.vocabularyLimits);
    const store = { transport: this.transport, operations: this.operations, mmExtensions: this.mmExtensions };
    this.search = new ProductSearch({
      ...store,
      minQueryLength: options.minQueryLength ?? 3,
      storeBaseUrl: this.storeBaseUrl,
      categories: (call) => this.categoryTreeFor(call),
      vocabulary: this.vocabulary,
      warmUp: options.warmUpVocabulary ?? false,
      logger,
    });
    this.carts = new Carts({ ...store, cartIds: options.cartIds, events: this.events, logger });
  }

  /** A new interactive deadline (the settings changed); calls already running keep theirs. */
  setInteractiveDeadline(ms: number): void {
    this.interactiveDeadlineMs = ms;
  }

  /** Settles when a new vocabulary's warm-up has ended (at once when none ran). */
  whenVocabularyWarm(): Promise<void> {
    return this.search.whenWarm();
  }

  searchProducts(input: SearchInput): Promise<ProductSearchResult> {
    return this.interactive(input, (call) => this.search.search(input, call));
  }

  async getProduct(input: { sku: string } & InteractiveInput): Promise<ProductDetail> {
    const { sku } = parseInput(productRequestSchema, { sku: input.sku });
    return this.interactive(input, async (call) => {
      const data = await this.transport.execute<RawProducts>({
        query: this.operations.productBySku,
        variables: { sku },
        kind: 'query',
        cacheable: true,
        ...call,
      });
      const raw = data.products?.items?.find((item) => item?.sku === sku);
      if (!raw) throw new AppError('store_not_found', `The store has no product with SKU ${sku}`, { sku });
      return shapeProductDetail(raw, this.storeBaseUrl, this.mmExtensions);
    });
  }

  /** The department tree under the store's root category; fetched once and kept. */
  categories(input: InteractiveInput = {}): Promise<CategorySummary[]> {
    return this.interactive(input, (call) => this.categoryTreeFor(call));
  }

  private categoryTreeFor(call: CallContext): Promise<CategorySummary[]> {
    this.categoryTree ??= this.transport
      .execute<{ categories: { items?: (RawCategory | null)[] | null } | null }>({
        query: this.operations.categories,
        kind: 'query',
        cacheable: true,
        ...call,
      })
      .then((data) => {
        const roots = (data.categories?.items ?? []).flatMap((item) => (item ? [shapeCategory(item)] : []));
        return roots.length === 1 ? roots[0]!.children : roots;
      })
      .catch((error: unknown) => {
        // Not kept: the next call asks the store again. The transport logged the failure.
        this.categoryTree = null;
        throw error;
      });
    return this.categoryTree;
  }

  storeConfig(signal?: AbortSignal): Promise<StoreInfo> {
    return this.interactive({ ...(signal ? { signal } : {}) }, (call) => this.fetchStoreConfig(call));
  }

  private async fetchStoreConfig(call: CallContext): Promise<StoreInfo> {
    const data = await this.transport.execute<{
      storeConfig: {
        store_code?: string | null;
        store_name?: string | null;
        base_currency_code?: string | null;
        default_display_currency_code?: string | null;
        locale?: string | null;
        secure_base_url?: string | null;
      } | null;
    }>({ query: this.operations.storeConfig, kind: 'query', cacheable: true, ...call });
    const config = data.storeConfig ?? {};
    return {
      storeCode: config.store_code ?? this.transport.options.storeCode,
      storeName: config.store_name ?? '',
      currency: config.default_display_currency_code ?? config.base_currency_code ?? 'VND',
      locale: config.locale ?? 'vi_VN',
      baseUrl: config.secure_base_url ?? this.storeBaseUrl,
    };
  }

  getCart(input: { customerId: string } & InteractiveInput): Promise<CartResult> {
    return this.interactive(input, (call) => this.carts.get(input, call));
  }

  addToCart(input: { customerId: string; sku: string; quantity: number } & InteractiveInput): Promise<CartResult> {
    return this.interactive(input, (call) => this.carts.add(input, call));
  }

  updateCartItem(input: { customerId: string; uid: string; quantity: number } & InteractiveInput): Promise<CartResult> {
    return this.interactive(input, (call) => this.carts.update(input, call));
  }

  removeCartItem(input: { customerId: string; uid: string } & InteractiveInput): Promise<CartResult> {
    return this.interactive(input, (call) => this.carts.remove(input, call));
  }

  private interactive<T>(input: InteractiveInput, work: (call: CallContext) => Promise<T>): Promise<T> {
    return InteractiveCall.run(this.transport.options.clock, this.interactiveDeadlineMs, input, work);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
