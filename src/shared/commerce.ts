/** Store data shaped in main for the model and the UI: small, typed, no raw HTML, no tokens. */
import type { ErrorCode } from './errors';

export type StockStatus = 'in_stock' | 'out_of_stock';

export interface ProductSummary {
  sku: string;
  name: string;
  brand?: string;
  /** Selling unit such as `chai 1L` or `thùng 24 lon`, when the store tells it. */
  unit?: string;
  /** VND, integer. */
  price: number;
  /** VND, integer; equals `price` when there is no discount. */
  originalPrice: number;
  /** Whole percent, 0 when there is no discount. */
  discountPercent: number;
  stockStatus: StockStatus;
  imageUrl: string | null;
  url: string | null;
  /** Whether this is the pack the search asked for (`thùng` in "thùng bia Tiger"); absent when it named none. */
  packMatch?: boolean;
}

/** Which step of the search found the items; `none` when nothing did, with what was tried. */
export type SearchStep = 'exact' | 'folded' | 'units' | 'fewer_terms' | 'name_match' | 'category' | 'none';

/** One query the search sent, in words (never notation): the text, and the words it left out. */
export interface SearchAttempt {
  step: SearchStep;
  /** The words sent, or the department's name (`category`), or the part of a name (`name_match`). */
  text: string;
  /** Typed words this attempt did without (`fewer_terms`). */
  dropped?: string[];
}

export interface SearchFallback {
  step: SearchStep;
  /** The text of every attempt, in order (`attempts` says what each was). */
  tried: string[];
  attempts: SearchAttempt[];
}

export interface ProductSearchResult {
  items: ProductSummary[];
  total: number;
  currentPage: number;
  totalPages: number;
  /** What found the items: the words sent (may differ from what was typed), or the department's name. */
  query: string;
  fallback: SearchFallback;
  /** Store suggestions when nothing was found. */
  suggestions: string[];
  /** The pack or size the query named, in the catalog's words (`thùng 24 lon`); null when none. */
  pack: string | null;
  /** How many the query asked for (`2 thùng bia`), null when it did not say. */
  quantity: number | null;
}

/** What a failed store call was, without its message (which may quote a cart id or a search). */
export interface StoreCause {
  code: ErrorCode;
  httpStatus?: number;
  /** A lower-level code (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`) or Magento's error category. */
  cause?: string;
  /** The store answered with its maintenance page. */
  maintenance?: boolean;
}

/**
 * An interactive store call is keeping the staff waiting: still no answer after a while (`slow`),
 * queued behind the app's own request limit (`queued`, `waitMs` the expected wait), or waiting to
 * try again after a failure (`retrying`, with its cause).
 */
export interface StoreWait {
  reason: 'slow' | 'queued' | 'retrying';
  /** How long this wait should last (queued, retrying), or how long the call has waited so far (slow). */
  waitMs: number;
  cause?: StoreCause;
}

export interface CategorySummary {
  uid: string;
  name: string;
  urlPath: string | null;
  productCount: number;
  children: CategorySummary[];
}

export interface StoreInfo {
  storeCode: string;
  storeName: string;
  currency: string;
  locale: string;
  baseUrl: string;
}

export interface CartLine {
  uid: string;
  sku: string;
  name: string;
  unit?: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
  imageUrl: string | null;
}

export interface Cart {
  id: string;
  lines: CartLine[];
  subtotal: number;
  discount: number;
  grandTotal: number;
  itemCount: number;
}

/** What every cart operation answers; `recreated` says the store lost the previous cart. */
export interface CartResult {
  cart: Cart;
  recreated: boolean;
}

export interface ProductDetail extends ProductSummary {
  /** Plain text (the store's HTML stripped), at most 2,000 characters. */
  description: string;
  categories: string[];
}

export interface CartChanged {
  customerId: string;
  cart: Cart;
  recreated: boolean;
}
