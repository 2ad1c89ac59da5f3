/** Store data shaped in main for the model and the UI: small, typed, no raw HTML, no tokens. */

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
}

/** Which step of the search found the items; `none` when nothing did, with what was tried. */
export type SearchStep = 'exact' | 'folded' | 'units' | 'fewer_terms' | 'name_match' | 'category' | 'none';

export interface SearchFallback {
  step: SearchStep;
  /** Human-readable description of every attempt, in order. */
  tried: string[];
}

export interface ProductSearchResult {
  items: ProductSummary[];
  total: number;
  currentPage: number;
  totalPages: number;
  /** What found the items: the query as sent (may differ from what was typed), `name ~ text` or `category Name`. */
  query: string;
  fallback: SearchFallback;
  /** Store suggestions when nothing was found. */
  suggestions: string[];
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
