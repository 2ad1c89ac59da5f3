import type { z } from 'zod';
import type {
  CartResult,
  CategorySummary,
  ProductDetail,
  ProductSearchResult,
  SearchStep,
  StoreInfo,
} from '../../shared/commerce';
import {
  cartAddSchema,
  cartRemoveSchema,
  cartRequestSchema,
  cartUpdateSchema,
  productRequestSchema,
  searchRequestSchema,
} from '../../shared/contract/commerce';
import { AppError } from '../../shared/errors';
import type { EventBus } from '../core/eventBus';
import type { CartIdStore } from './cartIds';
import { buildOperations, type Operations } from './operations';
import {
  shapeCart,
  shapeCategory,
  shapeProduct,
  shapeProductDetail,
  type RawCart,
  type RawCategory,
  type RawProduct,
} from './shape';
import { foldAccents } from '../../shared/text';
import { groceryPhrases, normalizeUnits, tokenize, Vocabulary } from './text';
import { GraphQLTransport, type TransportOptions } from './transport';

export interface CommerceClientOptions extends Partial<Omit<TransportOptions, 'endpoint'>> {
  endpoint: string;
  /** MM Mega Market's own fields (`ecom_name`, `unit_ecom`, `art_no`); off for a stock Magento. */
  mmExtensions?: boolean;
  /** The store's minimum search length (Magento's default is 3). */
  minQueryLength?: number;
  cartIds: CartIdStore;
  /** Where `cart.changed` goes, so the UI follows changes the agent makes. */
  events?: EventBus;
}

export interface SearchInput {
  query: string;
  pageSize?: number;
  currentPage?: number;
  signal?: AbortSignal;
}

interface RawProducts {
  products: {
    total_count?: number | null;
    page_info?: { current_page?: number | null; total_pages?: number | null } | null;
    suggestions?: ({ search: string } | null)[] | null;
    items?: (RawProduct | null)[] | null;
  } | null;
}

type CartOperationKind = 'read' | 'add' | 'change';

const CART_LOST = /could not find a cart with id/i;
const NO_CREATE_GUEST_CART = /cannot query field "createGuestCart"/i;

/**
 * The app's store client: catalog search that explains itself, product detail, categories, store
 * config and per-customer carts whose ids live in SQLite. Built on one `GraphQLTransport`.
 */
export class CommerceClient {
  readonly transport: GraphQLTransport;
  private readonly operations: Operations;
  private readonly mmExtensions: boolean;
  private readonly minQueryLength: number;
  private readonly storeBaseUrl: string;
  private readonly vocabulary = new Vocabulary(groceryPhrases);
  private categoryTree: Promise<CategorySummary[]> | null = null;
  /** Cart operations of one customer run one after another, so two adds never create two carts. */
  private readonly cartQueues = new Map<string, Promise<unknown>>();
  /** Set once the store turns out to be older than 2.4.7 (no `createGuestCart`). */
  private legacyCartCreation = false;

  constructor(private readonly options: CommerceClientOptions) {
    this.transport = new GraphQLTransport(options);
    this.mmExtensions = options.mmExtensions ?? false;
    this.minQueryLength = options.minQueryLength ?? 3;
    this.operations = buildOperations(this.mmExtensions);
    this.storeBaseUrl = new URL('/', options.endpoint).toString();
  }

  async searchProducts(input: SearchInput): Promise<ProductSearchResult> {
    const { query, pageSize = 20, currentPage = 1 } = parse(searchRequestSchema, {
      query: input.query,
      pageSize: input.pageSize,
      currentPage: input.currentPage,
    });
    const typed = query.normalize('NFC').replace(/\s+/g, ' ');
    if ([...typed].length < this.minQueryLength) {
      throw new AppError('store_input', `Search needs at least ${this.minQueryLength} characters; "${typed}" is too short`, {
        minQueryLength: this.minQueryLength,
      });
    }
    const tried: string[] = [];
    const attempted = new Set<string>();
    const page = { pageSize, currentPage };
    let suggestions: string[] = [];

    const attempt = async (step: SearchStep, label: string, variables: Record<string, unknown>) => {
      const key = JSON.stringify(variables);
      if (attempted.has(key)) return null;
      attempted.add(key);
      tried.push(label);
      const data = await this.transport.execute<RawProducts>({
        query: this.operations.searchProducts,
        variables: { ...variables, ...page },
        kind: 'query',
        cacheable: true,
        signal: input.signal,
      });
      const products = data.products;
      const items = (products?.items ?? []).flatMap((item) => (item ? [item] : []));
      if (suggestions.length === 0) suggestions = (products?.suggestions ?? []).flatMap((s) => (s ? [s.search] : []));
      if (items.length === 0) return null;
      for (const item of items) if (item.name) this.vocabulary.learn(item.name);
      return {
        items: items.map((item) => shapeProduct(item, this.storeBaseUrl, this.mmExtensions)),
        total: products?.total_count ?? items.length,
        currentPage: products?.page_info?.current_page ?? currentPage,
        totalPages: products?.page_info?.total_pages ?? 1,
        query: label,
        fallback: { step, tried },
        suggestions: [],
      } satisfies ProductSearchResult;
    };
    const searchStep = (step: SearchStep, text: string) =>
      [...text].length >= this.minQueryLength ? attempt(step, text, { search: text }) : Promise.resolve(null);

    const exact = await searchStep('exact', typed);
    if (exact) return exact;

    await this.learnCategoryNames(input.signal);
    const restored = this.vocabulary.restore(typed);
    const folded = await searchStep('folded', restored);
    if (folded) return folded;

    const withUnits = normalizeUnits(restored);
    const units = await searchStep('units', withUnits);
    if (units) return units;

    for (const fewer of fewerTerms(withUnits)) {
      const found = await searchStep('fewer_terms', fewer);
      if (found) return found;
    }

    const nameMatch = await attempt('name_match', `name ~ ${restored}`, { filter: { name: { match: restored } } });
    if (nameMatch) return nameMatch;

    const category = await this.bestCategory(restored, input.signal);
    if (category) {
      const found = await attempt('category', `category ${category.name}`, { filter: { category_uid: { eq: category.uid } } });
      if (found) return found;
    }
    return { items: [], total: 0, currentPage, totalPages: 0, query: typed, fallback: { step: 'none', tried }, suggestions };
  }

  async getProduct(input: { sku: string; signal?: AbortSignal }): Promise<ProductDetail> {
    const { sku } = parse(productRequestSchema, { sku: input.sku });
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

  async getCart(input: { customerId: string; signal?: AbortSignal }): Promise<CartResult> {
    const { customerId } = parse(cartRequestSchema, { customerId: input.customerId });
    return this.withCart(customerId, input.signal, 'read', (cartId) =>
      this.transport
        .execute<{ cart: RawCart | null }>({ query: this.operations.cart, variables: { cartId }, kind: 'query', signal: input.signal })
        .then((data) => data.cart),
    );
  }

  async addToCart(input: { customerId: string; sku: string; quantity: number; signal?: AbortSignal }): Promise<CartResult> {
    const { customerId, sku, quantity } = parse(cartAddSchema, { customerId: input.customerId, sku: input.sku, quantity: input.quantity });
    return this.withCart(customerId, input.signal, 'add', async (cartId) => {
      const data = await this.transport.execute<{
        addProductsToCart: { cart: RawCart; user_errors: ({ code: string; message: string } | null)[] } | null;
      }>({
        query: this.operations.addProductsToCart,
        variables: { cartId, cartItems: [{ sku, quantity }] },
        kind: 'mutation',
        signal: input.signal,
      });
      const userErrors = (data.addProductsToCart?.user_errors ?? []).flatMap((error) => (error ? [error] : []));
      if (userErrors.length > 0) {
        throw new AppError('cart_error', userErrors[0]!.message, { code: userErrors[0]!.code, sku, quantity, userErrors });
      }
      return data.addProductsToCart?.cart ?? null;
    });
  }

  async updateCartItem(input: { customerId: string; uid: string; quantity: number; signal?: AbortSignal }): Promise<CartResult> {
    const { customerId, uid, quantity } = parse(cartUpdateSchema, { customerId: input.customerId, uid: input.uid, quantity: input.quantity });
    return this.withCart(customerId, input.signal, 'change', (cartId) =>
      this.transport
        .execute<{ updateCartItems: { cart: RawCart } | null }>({
          query: this.operations.updateCartItems,
          variables: { cartId, uid, quantity },
          kind: 'mutation',
          signal: input.signal,
        })
        .then((data) => data.updateCartItems?.cart ?? null),
    );
  }

  async removeCartItem(input: { customerId: string; uid: string; signal?: AbortSignal }): Promise<CartResult> {
    const { customerId, uid } = parse(cartRemoveSchema, { customerId: input.customerId, uid: input.uid });
    return this.withCart(customerId, input.signal, 'change', (cartId) =>
      this.transport
        .execute<{ removeItemFromCart: { cart: RawCart } | null }>({
          query: this.operations.removeItemFromCart,
          variables: { cartId, uid },
          kind: 'mutation',
          signal: input.signal,
        })
        .then((data) => data.removeItemFromCart?.cart ?? null),
    );
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  /**
   * Runs `operation` on the customer's cart. A cart the store lost is replaced by a new one and the
   * answer says `recreated: true`. An add then runs on the new cart; changing a line of the lost cart
   * cannot, so a `change` answers with the new, empty cart. Adds and changes emit `cart.changed`.
   */
  private withCart(
    customerId: string,
    signal: AbortSignal | undefined,
    kind: CartOperationKind,
    operation: (cartId: string) => Promise<RawCart | null>,
  ): Promise<CartResult> {
    const previous = this.cartQueues.get(customerId) ?? Promise.resolve();
    const run = previous.then(async (): Promise<CartResult> => {
      const stored = this.options.cartIds.get(customerId);
      let cartId = stored ?? (await this.createCart(customerId, signal));
      let recreated = false;
      let raw: RawCart | null;
      try {
        raw = await operation(cartId);
      } catch (error) {
        if (!(stored && error instanceof AppError && error.code === 'store_not_found' && CART_LOST.test(error.message))) throw error;
        cartId = await this.createCart(customerId, signal);
        recreated = true;
        raw = kind === 'add' ? await operation(cartId) : await this.fetchCart(cartId, signal);
      }
      if (!raw) throw new AppError('store_error', 'The store answered without the cart');
      const result: CartResult = { cart: shapeCart(raw, this.mmExtensions), recreated };
      if (recreated || kind !== 'read') this.options.events?.emit('cart.changed', { customerId, cart: result.cart, recreated });
      return result;
    });
    const settled = run.catch(() => undefined);
    this.cartQueues.set(customerId, settled);
    void settled.then(() => {
      if (this.cartQueues.get(customerId) === settled) this.cartQueues.delete(customerId);
    });
    return run;
  }

  private async fetchCart(cartId: string, signal: AbortSignal | undefined): Promise<RawCart | null> {
    const data = await this.transport.execute<{ cart: RawCart | null }>({
      query: this.operations.cart,
      variables: { cartId },
      kind: 'query',
      signal,
    });
    return data.cart;
  }

  /** A new guest cart (`createGuestCart`, or `createEmptyCart` on stores older than 2.4.7), remembered for the customer. */
  private async createCart(customerId: string, signal: AbortSignal | undefined): Promise<string> {
    let cartId: string | null | undefined;
    if (!this.legacyCartCreation) {
      try {
        const data = await this.transport.execute<{ createGuestCart: { cart: { id: string } | null } | null }>({
          query: this.operations.createGuestCart,
          kind: 'mutation',
          signal,
        });
        cartId = data.createGuestCart?.cart?.id;
      } catch (error) {
        if (!(error instanceof AppError && NO_CREATE_GUEST_CART.test(error.message))) throw error;
        this.legacyCartCreation = true;
      }
    }
    if (this.legacyCartCreation) {
      const data = await this.transport.execute<{ createEmptyCart: string | null }>({
        query: this.operations.createEmptyCart,
        kind: 'mutation',
        signal,
      });
      cartId = data.createEmptyCart;
    }
    if (!cartId) throw new AppError('cart_error', 'The store did not create a cart');
    this.options.cartIds.set(customerId, cartId);
    return cartId;
  }

  /** Category names teach the vocabulary the store's own spelling (`Nước mắm & nước chấm`). */
  private async learnCategoryNames(signal: AbortSignal | undefined): Promise<void> {
    const tree = await this.categories(signal).catch(() => []);
    for (const category of flatten(tree)) this.vocabulary.learn(category.name, 5);
  }

  private async bestCategory(query: string, signal: AbortSignal | undefined): Promise<CategorySummary | null> {
    const words = new Set(tokenize(foldAccents(query)).filter((word) => word.length >= 2));
    let best: CategorySummary | null = null;
    let bestScore = 0;
    for (const category of flatten(await this.categories(signal).catch(() => []))) {
      const names = new Set(tokenize(foldAccents(category.name)));
      const matched = [...names].filter((word) => words.has(word)).length;
      // Shared words first; among equals, the category whose name is most covered by the query.
      const score = matched === 0 ? 0 : matched + matched / names.size;
      if (score > bestScore) {
        best = category;
        bestScore = score;
      }
    }
    return best;
  }
}

function flatten(categories: CategorySummary[]): CategorySummary[] {
  return categories.flatMap((category) => [category, ...flatten(category.children)]);
}

/** Shorter queries to try: quantities first, then words from the end; at most three. */
function fewerTerms(query: string): string[] {
  const words = query.split(' ');
  if (words.length < 2) return [];
  const candidates: string[] = [];
  const withoutQuantities = words.filter((word) => !/\d/.test(word));
  if (withoutQuantities.length > 0 && withoutQuantities.length < words.length) candidates.push(withoutQuantities.join(' '));
  const base = withoutQuantities.length > 0 ? withoutQuantities : words;
  for (let keep = base.length - 1; keep >= 1 && candidates.length < 3; keep--) candidates.push(base.slice(0, keep).join(' '));
  return candidates;
}

/** Validates input of direct callers (the agent) with the contract's schemas: bad input never reaches the store. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new AppError('invalid_request', result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '), {
      issues: result.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
    });
  }
  return result.data;
}
