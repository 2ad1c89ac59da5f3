import type { CartResult, CategorySummary, ProductDetail, ProductSearchResult, StoreInfo } from '@shared/commerce';
import { productRequestSchema } from '@shared/contract/commerce';
import { AppError } from '@shared/errors';
import { Emitter } from '../core/emitter';
import { errorFacts, silentLogger, type Logger } from '../core/logger';
import type { CartIdStore } from './cartIds';
import { Carts, type CartEvents } from './carts';
import { parseInput } from './input';
import { buildOperations, type Operations } from './operations';
import { ProductSearch, type SearchInput } from './search';
import { shapeCategory, shapeProductDetail, type RawCategory, type RawProducts } from './shape';
import { GraphQLTransport, type TransportOptions } from './transport';

export type { SearchInput } from './search';

/** What the store client announces, in its own terms (the composition root forwards them to the UI). */
export type CommerceEvents = CartEvents;

export interface CommerceClientOptions extends Partial<Omit<TransportOptions, 'endpoint'>> {
  endpoint: string;
  /** MM Mega Market's own fields (`ecom_name`, `unit_ecom`, `art_no`); off for a stock Magento. */
  mmExtensions?: boolean;
  /** The store's minimum search length (Magento's default is 3). */
  minQueryLength?: number;
  cartIds: CartIdStore;
}

/**
 * The app's store client: catalog search that explains itself (`search.ts`), product detail,
 * categories, store config, and per-customer carts that repair themselves (`carts.ts`), whose ids
 * live in SQLite. Built on one `GraphQLTransport`; `events` says when a cart changed.
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

  constructor(options: CommerceClientOptions) {
    const logger = options.logger ?? silentLogger();
    this.log = logger;
    this.transport = new GraphQLTransport({ ...options, logger });
    this.mmExtensions = options.mmExtensions ?? false;
    this.operations = buildOperations(this.mmExtensions);
    this.storeBaseUrl = new URL('/', options.endpoint).toString();
    const store = { transport: this.transport, operations: this.operations, mmExtensions: this.mmExtensions };
    this.search = new ProductSearch({
      ...store,
      minQueryLength: options.minQueryLength ?? 3,
      storeBaseUrl: this.storeBaseUrl,
      categories: (signal) => this.categories(signal),
      logger,
    });
    this.carts = new Carts({ ...store, cartIds: options.cartIds, events: this.events, logger });
  }

  searchProducts(input: SearchInput): Promise<ProductSearchResult> {
    return this.search.search(input);
  }

  async getProduct(input: { sku: string; signal?: AbortSignal }): Promise<ProductDetail> {
    const { sku } = parseInput(productRequestSchema, { sku: input.sku });
    const data = await this.transport.execute<RawProducts>({
      query: this.operations.productBySku,
      variables: { sku },
      kind: 'query',
      cacheable: true,
      signal: input.signal,
    });
    const raw = data.products?.items?.find((item) => item?.sku === sku);
    if (!raw) throw new AppError('store_not_found', `The store has no product with SKU ${sku}`, { sku });
    return shapeProductDetail(raw, this.storeBaseUrl, this.mmExtensions);
  }

  /** The department tree under the store's root category; fetched once and kept. */
  categories(signal?: AbortSignal): Promise<CategorySummary[]> {
    this.categoryTree ??= this.transport
      .execute<{ categories: { items?: (RawCategory | null)[] | null } | null }>({
        query: this.operations.categories,
        kind: 'query',
        cacheable: true,
        signal,
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

  async storeConfig(signal?: AbortSignal): Promise<StoreInfo> {
    const data = await this.transport.execute<{
      storeConfig: {
        store_code?: string | null;
        store_name?: string | null;
        base_currency_code?: string | null;
        default_display_currency_code?: string | null;
        locale?: string | null;
        secure_base_url?: string | null;
      } | null;
    }>({ query: this.operations.storeConfig, kind: 'query', cacheable: true, signal });
    const config = data.storeConfig ?? {};
    return {
      storeCode: config.store_code ?? this.transport.options.storeCode,
      storeName: config.store_name ?? '',
      currency: config.default_display_currency_code ?? config.base_currency_code ?? 'VND',
      locale: config.locale ?? 'vi_VN',
      baseUrl: config.secure_base_url ?? this.storeBaseUrl,
    };
  }

  getCart(input: { customerId: string; signal?: AbortSignal }): Promise<CartResult> {
    return this.carts.get(input);
  }

  addToCart(input: { customerId: string; sku: string; quantity: number; signal?: AbortSignal }): Promise<CartResult> {
    return this.carts.add(input);
  }

  updateCartItem(input: { customerId: string; uid: string; quantity: number; signal?: AbortSignal }): Promise<CartResult> {
    return this.carts.update(input);
  }

  removeCartItem(input: { customerId: string; uid: string; signal?: AbortSignal }): Promise<CartResult> {
    return this.carts.remove(input);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
