import crypto from 'node:crypto';
import { GraphQLError } from 'graphql';
import { foldAccents } from '@shared/text';
import { tokenize } from '@shared/packs';
import type { DemoCatalog, DemoCategory, DemoProduct } from './catalog';

/** Magento's own limits and messages, so the client meets what the real store says. */
export const MIN_QUERY_LENGTH = 3;
export const MAX_PAGE_SIZE = 300;

export function storeError(message: string, category: 'graphql-input' | 'graphql-no-such-entity' | 'graphql'): GraphQLError {
  return new GraphQLError(message, { extensions: { category } });
}

interface CartLineState {
  uid: string;
  sku: string;
  quantity: number;
}

export interface DemoCart {
  id: string;
  lines: CartLineState[];
  nextLine: number;
}

const money = (value: number) => ({ value, currency: 'VND' });

interface FilterEq {
  eq?: string | null;
  in?: (string | null)[] | null;
}
interface FilterMatch {
  match?: string | null;
  match_type?: 'FULL' | 'PARTIAL' | null;
}
interface FilterRange {
  from?: string | null;
  to?: string | null;
}
interface ProductsArgs {
  search?: string | null;
  filter?: {
    sku?: FilterEq | null;
    category_id?: FilterEq | null;
    category_uid?: FilterEq | null;
    url_key?: FilterEq | null;
    name?: FilterMatch | null;
    price?: FilterRange | null;
  } | null;
  pageSize: number;
  currentPage: number;
  sort?: { name?: 'ASC' | 'DESC'; price?: 'ASC' | 'DESC'; relevance?: 'ASC' | 'DESC'; position?: 'ASC' | 'DESC' } | null;
}

/**
 * The demo store's data and behaviour, as graphql-js root resolvers: catalog search as Magento does
 * it (every keyword must match a word, no accent folding), pagination limits, carts with
 * `user_errors`, Magento's messages.
 */
export class DemoResolvers {
  /** Guest carts by id; they live as long as the store. */
  readonly carts = new Map<string, DemoCart>();
  private readonly productViews = new Map<string, Record<string, unknown>>();
  private readonly categoryViews = new Map<number, Record<string, unknown>>();
  private readonly searchIndex: { product: DemoProduct; words: Set<string> }[];
  private readonly productCounts = new Map<number, number>();
  private readonly byArtNo: Map<string, DemoProduct>;

  constructor(
    readonly catalog: DemoCatalog,
    private readonly storeCode: string,
    private baseUrl = 'http://127.0.0.1',
  ) {
    for (const product of catalog.products) {
      for (const id of product.categoryIds) this.productCounts.set(id, (this.productCounts.get(id) ?? 0) + 1);
    }
    this.searchIndex = catalog.products.map((product) => ({
      product,
      words: new Set([
        ...tokenize(product.name),
        ...tokenize(product.brand),
        product.sku,
        ...product.categoryIds.flatMap((id) => tokenize(catalog.categories.get(id)?.name ?? '')),
      ]),
    }));
    this.byArtNo = new Map(catalog.products.map((product) => [product.artNo, product]));
  }

  /** Image and product URLs point at the server once its port is known. */
  setBaseUrl(baseUrl: string): void {
    this.baseUrl = baseUrl;
    this.productViews.clear();
  }

  /** Products are shown afresh after their data changed (a test stand-in changing stock). */
  forgetProductViews(): void {
    this.productViews.clear();
  }

  /** The operations' root resolvers (graphql-js `rootValue`). */
  rootValue(): Record<string, unknown> {
    return {
      products: (args: ProductsArgs) => this.products(args),
      categories: (args: { filters?: { ids?: FilterEq; category_uid?: FilterEq; parent_id?: FilterEq } | null }) => {
        const items = this.findCategories(args.filters);
        return { items, total_count: items.length, page_info: { current_page: 1, page_size: 20, total_pages: 1 } };
      },
      categoryList: (args: { filters?: { ids?: FilterEq; category_uid?: FilterEq; parent_id?: FilterEq } | null }) =>
        this.findCategories(args.filters),
      storeConfig: () => ({
        store_code: this.storeCode,
        code: this.storeCode,
        store_name: 'MM Mega Market An Phú (cửa hàng mẫu)',
        store_group_name: 'MM Mega Market',
        website_name: 'MM Mega Market Việt Nam',
        base_currency_code: 'VND',
        default_display_currency_code: 'VND',
        locale: 'vi_VN',
        timezone: 'Asia/Ho_Chi_Minh',
        weight_unit: 'kgs',
        base_url: `${this.baseUrl}/`,
        secure_base_url: `${this.baseUrl}/`,
        base_media_url: `${this.baseUrl}/media/`,
        grid_per_page: 24,
        root_category_uid: this.catalog.root.uid,
      }),
      cart: ({ cart_id }: { cart_id: string }) => this.cartView(this.cartOf(cart_id)),
      createGuestCart: () => ({ cart: this.cartView(this.newCart()) }),
      createEmptyCart: () => this.newCart().id,
      addProductsToCart: (args: { cartId: string; cartItems: { sku: string; quantity: number }[]; use_art_no?: boolean | null }) =>
        this.addProducts(args.cartId, args.cartItems, args.use_art_no === true),
      updateCartItems: ({
        input,
      }: {
        input?: { cart_id: string; cart_items: ({ cart_item_uid?: string | null; quantity?: number | null } | null)[] } | null;
      }) => {
        if (!input) throw storeError('Required parameter "cart_id" is missing.', 'graphql-input');
        const cart = this.cartOf(input.cart_id);
        for (const change of input.cart_items) {
          if (!change?.cart_item_uid) throw storeError('Required parameter "cart_item_uid" for "cart_items" is missing.', 'graphql-input');
          if (change.quantity === null || change.quantity === undefined) {
            throw storeError('Required parameter "quantity" for "cart_items" is missing.', 'graphql-input');
          }
          const line = cart.lines.find((candidate) => candidate.uid === change.cart_item_uid);
          if (!line) throw storeError(`Could not find cart item with id: ${change.cart_item_uid}`, 'graphql-no-such-entity');
          if (change.quantity <= 0) {
            cart.lines = cart.lines.filter((candidate) => candidate !== line);
            continue;
          }
          const product = this.catalog.bySku.get(line.sku)!;
          if (change.quantity > product.salableQty) throw storeError('The requested qty is not available', 'graphql-input');
          line.quantity = change.quantity;
        }
        return { cart: this.cartView(cart) };
      },
      removeItemFromCart: ({ input }: { input?: { cart_id: string; cart_item_uid?: string | null } | null }) => {
        if (!input) throw storeError('Required parameter "cart_id" is missing.', 'graphql-input');
        const cart = this.cartOf(input.cart_id);
        if (!cart.lines.some((line) => line.uid === input.cart_item_uid)) {
          throw storeError("The cart doesn't contain the item", 'graphql-no-such-entity');
        }
        cart.lines = cart.lines.filter((line) => line.uid !== input.cart_item_uid);
        return { cart: this.cartView(cart) };
      },
    };
  }

  private products(args: ProductsArgs) {
    if (args.pageSize < 1) throw storeError('pageSize value must be greater than 0.', 'graphql-input');
    if (args.pageSize > MAX_PAGE_SIZE) throw storeError(`pageSize value must be less than or equal to ${MAX_PAGE_SIZE}.`, 'graphql-input');
    if (args.currentPage < 1) throw storeError('currentPage value must be greater than 0.', 'graphql-input');
    const search = args.search?.trim();
    if (args.search !== undefined && args.search !== null && (search ?? '').length < MIN_QUERY_LENGTH) {
      throw storeError(`Minimum Search query length is ${MIN_QUERY_LENGTH}`, 'graphql-input');
    }
    if (!search && !args.filter) throw storeError("'search' or 'filter' input argument is required.", 'graphql-input');

    let matches: { product: DemoProduct; score: number }[];
    const skuFilter = args.filter?.sku;
    if (skuFilter && !search) {
      const skus = skuFilter.eq ? [skuFilter.eq] : (skuFilter.in ?? []).filter((sku): sku is string => !!sku);
      matches = skus.flatMap((sku) => {
        const product = this.catalog.bySku.get(sku);
        return product ? [{ product, score: 0 }] : [];
      });
    } else {
      const terms = search ? tokenize(search) : [];
      matches = [];
      for (const entry of this.searchIndex) {
        if (!terms.every((term) => entry.words.has(term))) continue;
        if (!this.passesFilter(entry.product, args.filter)) continue;
        matches.push({ product: entry.product, score: terms.length === 0 ? 0 : this.relevance(entry.product, terms) });
      }
    }

    const sort = args.sort;
    if (sort?.price) matches.sort((a, b) => (a.product.finalPrice - b.product.finalPrice) * (sort.price === 'DESC' ? -1 : 1));
    else if (sort?.name) matches.sort((a, b) => a.product.name.localeCompare(b.product.name, 'vi') * (sort.name === 'DESC' ? -1 : 1));
    else if (search) matches.sort((a, b) => b.score - a.score || a.product.id - b.product.id);

    const total = matches.length;
    const totalPages = Math.ceil(total / args.pageSize);
    if (total > 0 && args.currentPage > totalPages) {
      throw storeError(`currentPage value ${args.currentPage} specified is greater than the ${totalPages} page(s) available.`, 'graphql-input');
    }
    const page = matches.slice((args.currentPage - 1) * args.pageSize, args.currentPage * args.pageSize);
    return {
      total_count: total,
      items: page.map(({ product }) => this.productView(product)),
      page_info: { current_page: args.currentPage, page_size: args.pageSize, total_pages: totalPages },
      suggestions: total === 0 && search ? this.suggest(search) : [],
      aggregations: [],
    };
  }

  private passesFilter(product: DemoProduct, filter: ProductsArgs['filter']): boolean {
    if (!filter) return true;
    const eqMatches = (value: string, condition: FilterEq | null | undefined) =>
      !condition || (condition.eq ? condition.eq === value : condition.in ? condition.in.includes(value) : true);
    if (!eqMatches(product.sku, filter.sku) || !eqMatches(product.urlKey, filter.url_key)) return false;
    if (filter.category_id && !product.categoryIds.some((id) => eqMatches(String(id), filter.category_id))) return false;
    if (filter.category_uid) {
      const uids = product.categoryIds.map((id) => this.catalog.categories.get(id)?.uid ?? '');
      if (!uids.some((uid) => eqMatches(uid, filter.category_uid))) return false;
    }
    const match = filter.name?.match?.trim().toLowerCase();
    if (match) {
      const name = product.name.toLowerCase();
      const full = filter.name?.match_type === 'FULL';
      if (full ? !tokenize(match).every((word) => tokenize(name).includes(word)) : !name.includes(match)) return false;
    }
    if (filter.price) {
      if (filter.price.from && product.finalPrice < Number(filter.price.from)) return false;
      if (filter.price.to && product.finalPrice > Number(filter.price.to)) return false;
    }
    return true;
  }

  private relevance(product: DemoProduct, terms: string[]): number {
    const name = tokenize(product.name);
    return terms.reduce((score, term) => score + (name.includes(term) ? 2 : 1), 0) - name.length * 0.01;
  }

  /** Category names that look like the search once accents are ignored (Magento's spell suggestions). */
  private suggest(search: string): { search: string }[] {
    const folded = foldAccents(search);
    const names = [...this.catalog.categories.values()]
      .map((category) => category.name)
      .filter((name) => tokenize(folded).some((word) => foldAccents(name).includes(word)));
    return names.slice(0, 3).map((name) => ({ search: name.toLowerCase() }));
  }

  private findCategories(filters: { ids?: FilterEq; category_uid?: FilterEq; parent_id?: FilterEq } | null | undefined) {
    const all = [...this.catalog.categories.values()];
    const pick = (category: DemoCategory) => {
      const test = (value: string, condition: FilterEq | undefined) =>
        !condition || (condition.eq ? condition.eq === value : (condition.in ?? []).includes(value));
      return (
        test(String(category.id), filters?.ids) && test(category.uid, filters?.category_uid) && test(String(category.parentId), filters?.parent_id)
      );
    };
    const found = filters ? all.filter(pick) : [this.catalog.root];
    return found.map((category) => this.categoryView(category));
  }

  private categoryView(category: DemoCategory): Record<string, unknown> {
    let view = this.categoryViews.get(category.id);
    if (!view) {
      view = {
        __typename: 'CategoryTree',
        id: category.id,
        uid: category.uid,
        name: category.name,
        url_key: category.urlKey,
        url_path: category.urlPath,
        url_suffix: '.html',
        level: category.urlPath === '' ? 1 : category.urlPath.split('/').length + 1,
        product_count: this.productCounts.get(category.id) ?? 0,
        children_count: String(category.children.length),
        include_in_menu: 1,
        redirect_code: 0,
        staged: false,
        children: () => category.children.map((child) => this.categoryView(child)),
      };
      this.categoryViews.set(category.id, view);
    }
    return view;
  }

  private productView(product: DemoProduct): Record<string, unknown> {
    let view = this.productViews.get(product.sku);
    if (!view) {
      const image = { url: `${this.baseUrl}/media/catalog/product/${product.sku}.svg`, label: product.name };
      const amountOff = product.regularPrice - product.finalPrice;
      const price = {
        regular_price: money(product.regularPrice),
        final_price: money(product.finalPrice),
        discount: { amount_off: amountOff, percent_off: Math.round((amountOff / product.regularPrice) * 10_000) / 100 },
      };
      view = {
        __typename: 'SimpleProduct',
        id: product.id,
        uid: product.uid,
        sku: product.sku,
        name: product.name,
        url_key: product.urlKey,
        url_suffix: '.html',
        canonical_url: `${product.urlKey}.html`,
        stock_status: product.salableQty > 0 ? 'IN_STOCK' : 'OUT_OF_STOCK',
        only_x_left_in_stock: product.salableQty > 0 && product.salableQty <= 10 ? product.salableQty : null,
        thumbnail: image,
        small_image: image,
        image,
        price_range: { minimum_price: price, maximum_price: price },
        description: { html: product.description },
        short_description: { html: `<p>${product.name}</p>` },
        categories: product.categoryIds.map((id) => this.categoryView(this.catalog.categories.get(id)!)),
        rating_summary: 0,
        review_count: 0,
        staged: false,
        ecom_name: product.name,
        unit_ecom: product.unit,
        art_no: product.artNo,
        mm_product_type: 'normal',
        is_alcohol: /bia/i.test(product.name),
        allow_pickup: true,
      };
      this.productViews.set(product.sku, view);
    }
    return view;
  }

  private newCart(): DemoCart {
    const cart: DemoCart = { id: crypto.randomBytes(24).toString('base64url').slice(0, 32), lines: [], nextLine: 1 };
    this.carts.set(cart.id, cart);
    return cart;
  }

  private cartOf(cartId: string): DemoCart {
    const cart = this.carts.get(cartId);
    if (!cart) throw storeError(`Could not find a cart with ID "${cartId}"`, 'graphql-no-such-entity');
    return cart;
  }

  private addProducts(cartId: string, items: { sku: string; quantity: number }[], useArtNo: boolean) {
    const cart = this.cartOf(cartId);
    const userErrors: { code: string; message: string }[] = [];
    for (const item of items) {
      const product = useArtNo ? this.byArtNo.get(item.sku) : this.catalog.bySku.get(item.sku);
      if (!product) {
        userErrors.push({ code: 'PRODUCT_NOT_FOUND', message: `Could not find a product with SKU "${item.sku}"` });
        continue;
      }
      if (!(item.quantity > 0)) {
        userErrors.push({ code: 'UNDEFINED', message: 'Please enter a number greater than 0 in this field.' });
        continue;
      }
      if (product.salableQty <= 0) {
        userErrors.push({ code: 'NOT_SALABLE', message: 'Product that you are trying to add is not available.' });
        continue;
      }
      const existing = cart.lines.find((line) => line.sku === product.sku);
      if ((existing?.quantity ?? 0) + item.quantity > product.salableQty) {
        userErrors.push({ code: 'INSUFFICIENT_STOCK', message: 'The requested qty is not available' });
        continue;
      }
      if (existing) existing.quantity += item.quantity;
      else cart.lines.push({ uid: Buffer.from(String(cart.nextLine++)).toString('base64'), sku: product.sku, quantity: item.quantity });
    }
    return { cart: this.cartView(cart), user_errors: userErrors };
  }

  private cartView(cart: DemoCart) {
    const items = cart.lines.map((line) => {
      const product = this.catalog.bySku.get(line.sku)!;
      const rowTotal = product.finalPrice * line.quantity;
      return {
        __typename: 'SimpleCartItem',
        id: line.uid,
        uid: line.uid,
        quantity: line.quantity,
        is_available: product.salableQty >= line.quantity,
        product: this.productView(product),
        prices: {
          price: money(product.finalPrice),
          price_including_tax: money(product.finalPrice),
          row_total: money(rowTotal),
          row_total_including_tax: money(rowTotal),
          discounts: [],
          total_item_discount: money(0),
        },
        customizable_options: [],
        available_gift_wrapping: [],
      };
    });
    const subtotal = items.reduce((sum, item) => sum + item.prices.row_total.value, 0);
    return {
      id: cart.id,
      total_quantity: cart.lines.reduce((sum, line) => sum + line.quantity, 0),
      is_virtual: false,
      is_guest: true,
      email: null,
      items,
      itemsV2: { items, total_count: items.length, page_info: { current_page: 1, page_size: 20, total_pages: 1 } },
      prices: {
        subtotal_including_tax: money(subtotal),
        subtotal_excluding_tax: money(subtotal),
        subtotal_with_discount_excluding_tax: money(subtotal),
        grand_total: money(subtotal),
        discounts: [],
        applied_taxes: [],
      },
      shipping_addresses: [],
      available_gift_wrappings: [],
      gift_receipt_included: false,
      printed_card_included: false,
    };
  }
}
