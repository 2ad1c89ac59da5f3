/**
 * What a store failure means, in the staff's language. Magento answers in English ("Could not find
 * cart item with id: Mg==", "Product that you are trying to add is not available.") and the app's
 * own errors name codes; staff read the texts here instead, chosen by Magento's `user_errors` code,
 * its error category or a message it is known to send, else by the app's error code and details.
 * A failure none of them explains is shown with a lead-in in the staff's language and the store's
 * own words after it (`original`).
 */
import type { StoreCause } from './commerce';
import { AppError, errorCodes, type AppErrorShape, type ErrorCode } from './errors';
import type { Language } from './settings';

export const storeErrorKinds = [
  'maintenance',
  'unreachable',
  'refused',
  'server_error',
  'timeout',
  'store_rate_limited',
  'app_rate_limited',
  'circuit_open',
  'product_not_found',
  'not_salable',
  'insufficient_stock',
  'invalid_quantity',
  'not_allowed',
  'cart_lost',
  'cart_item_missing',
  'cart_not_created',
  'store_view_missing',
  'query_too_short',
  'invalid_input',
  'unknown',
] as const;
export type StoreErrorKind = (typeof storeErrorKinds)[number];

/** The app's error codes that come from the store or the way to it: every `store_*` code and these. */
const storeSideCodes: readonly ErrorCode[] = ['cart_error', 'rate_limited', 'circuit_open', 'timeout'];
export const storeErrorCodes: readonly ErrorCode[] = errorCodes.filter((code) => code.startsWith('store_') || storeSideCodes.includes(code));

/** Magento's `CartUserInputErrorType` codes (`addProductsToCart.user_errors[].code`). */
export const magentoCartErrorCodes: Readonly<Record<string, StoreErrorKind>> = {
  PRODUCT_NOT_FOUND: 'product_not_found',
  NOT_SALABLE: 'not_salable',
  INSUFFICIENT_STOCK: 'insufficient_stock',
  UNDEFINED: 'invalid_quantity',
  PERMISSION_DENIED: 'not_allowed',
  COULD_NOT_FIND_CART_ITEM: 'cart_item_missing',
  REQUIRED_PARAMETER_MISSING: 'invalid_input',
  INVALID_PARAMETER_VALUE: 'invalid_input',
};

/** Magento's GraphQL error categories (`extensions.category`) when the message says no more. */
export const magentoErrorCategories: Readonly<Record<string, StoreErrorKind>> = {
  'graphql-input': 'invalid_input',
  'graphql-no-such-entity': 'product_not_found',
  'graphql-authorization': 'not_allowed',
  'graphql-authentication': 'not_allowed',
  'graphql-already-exists': 'invalid_input',
  internal: 'server_error',
};

/** Messages Magento is known to send, more precise than their category. */
const knownMessages: [RegExp, StoreErrorKind][] = [
  [/could not find a cart with id/i, 'cart_lost'],
  [/could not find cart item with id|the cart doesn't contain the item/i, 'cart_item_missing'],
  [/requested store is not found/i, 'store_view_missing'],
  [/minimum search query length/i, 'query_too_short'],
  [/requested qty is not available|not enough/i, 'insufficient_stock'],
  [/product that you are trying to add is not available|out of stock/i, 'not_salable'],
  [/greater than 0/i, 'invalid_quantity'],
];

type Texts = Record<Language, (facts: TextFacts) => string>;

interface TextFacts {
  seconds: number | null;
  status: number | null;
  cause: string;
}

/** The staff's text for every kind, Vietnamese and English. */
export const storeErrorTexts: Readonly<Record<StoreErrorKind, Texts>> = {
  maintenance: {
    vi: () => 'Cửa hàng đang bảo trì nên chưa trả lời được. Bạn thử lại sau ít phút nhé.',
    en: () => 'The store is under maintenance and cannot answer now. Try again in a few minutes.',
  },
  unreachable: {
    vi: () => 'Không kết nối được tới cửa hàng. Kiểm tra mạng, hoặc địa chỉ cửa hàng trong Cài đặt.',
    en: () => 'Cannot reach the store. Check the network, or the store address in Settings.',
  },
  refused: {
    vi: () => 'Máy chủ cửa hàng từ chối kết nối (có thể đang tắt hoặc sai địa chỉ).',
    en: () => 'The store server refused the connection (it may be down, or the address is wrong).',
  },
  server_error: {
    vi: ({ status }) => `Máy chủ cửa hàng đang gặp sự cố${status ? ` (lỗi ${status})` : ''}. Bạn thử lại sau nhé.`,
    en: ({ status }) => `The store server has a problem${status ? ` (HTTP ${status})` : ''}. Try again later.`,
  },
  timeout: {
    vi: ({ seconds, cause }) => `Cửa hàng không trả lời trong ${seconds ?? '?'} giây${cause ? `; lần thử gần nhất: ${cause}` : ''}.`,
    en: ({ seconds, cause }) => `The store did not answer within ${seconds ?? '?'} s${cause ? `; last try: ${cause}` : ''}.`,
  },
  store_rate_limited: {
    vi: ({ seconds }) => `Cửa hàng đang nhận quá nhiều yêu cầu và đề nghị chờ${seconds ? ` ${seconds} giây` : ' một lát'} rồi thử lại.`,
    en: ({ seconds }) => `The store is getting too many requests and asks to wait${seconds ? ` ${seconds} s` : ' a moment'} before trying again.`,
  },
  app_rate_limited: {
    vi: ({ seconds }) =>
      `Đang có nhiều yêu cầu tới cửa hàng cùng lúc; yêu cầu này phải chờ${seconds ? ` khoảng ${seconds} giây` : ''}. Bạn thử lại sau chút nhé.`,
    en: ({ seconds }) => `Many store requests are running at once; this one would wait${seconds ? ` about ${seconds} s` : ''}. Try again shortly.`,
  },
  circuit_open: {
    vi: ({ seconds, cause }) =>
      `Cửa hàng lỗi liên tục nên tạm ngừng gọi${seconds ? ` trong ${seconds} giây` : ''}${cause ? `; lỗi gần nhất: ${cause}` : ''}.`,
    en: ({ seconds, cause }) =>
      `The store keeps failing, so calls are paused${seconds ? ` for ${seconds} s` : ''}${cause ? `; last failure: ${cause}` : ''}.`,
  },
  product_not_found: {
    vi: () => 'Cửa hàng không có sản phẩm này.',
    en: () => 'The store has no such product.',
  },
  not_salable: {
    vi: () => 'Sản phẩm này đang hết hàng hoặc tạm ngừng bán.',
    en: () => 'This product is out of stock or not for sale right now.',
  },
  insufficient_stock: {
    vi: () => 'Cửa hàng không còn đủ số lượng yêu cầu.',
    en: () => 'The store does not have that many in stock.',
  },
  invalid_quantity: {
    vi: () => 'Số lượng không hợp lệ; hãy dùng một số lớn hơn 0.',
    en: () => 'The quantity is not valid; use a number greater than 0.',
  },
  not_allowed: {
    vi: () => 'Cửa hàng không cho phép thao tác này.',
    en: () => 'The store does not allow this.',
  },
  cart_lost: {
    vi: () => 'Cửa hàng không còn giỏ hàng này (có thể đã hết hạn).',
    en: () => 'The store no longer has this cart (it may have expired).',
  },
  cart_item_missing: {
    vi: () => 'Dòng hàng này không còn trong giỏ (có thể đã được xóa).',
    en: () => 'That line is no longer in the cart (it may have been removed).',
  },
  cart_not_created: {
    vi: () => 'Cửa hàng không tạo được giỏ hàng.',
    en: () => 'The store could not create a cart.',
  },
  store_view_missing: {
    vi: () => 'Cửa hàng không có mã cửa hàng (store view) này; kiểm tra Mã cửa hàng trong Cài đặt.',
    en: () => 'The store has no such store view; check the store code in Settings.',
  },
  query_too_short: {
    vi: () => 'Từ khóa tìm kiếm quá ngắn; hãy gõ ít nhất 3 ký tự.',
    en: () => 'The search is too short; type at least 3 characters.',
  },
  invalid_input: {
    vi: () => 'Cửa hàng không nhận yêu cầu này vì dữ liệu không hợp lệ:',
    en: () => 'The store refused this request as not valid:',
  },
  unknown: {
    vi: () => 'Cửa hàng báo lỗi:',
    en: () => 'The store reported an error:',
  },
};

type CauseKind = 'maintenance' | 'refused' | 'timeout' | 'server_error' | 'rate_limited' | 'unreachable' | 'other';

/** What caused a failure, in a few words (the circuit's and a timeout's last cause). */
export const storeCauseTexts: Readonly<Record<CauseKind, Record<Language, string>>> = {
  maintenance: { vi: 'cửa hàng đang bảo trì', en: 'the store is under maintenance' },
  refused: { vi: 'máy chủ từ chối kết nối', en: 'the server refused the connection' },
  timeout: { vi: 'quá thời gian chờ', en: 'no answer in time' },
  server_error: { vi: 'máy chủ báo lỗi', en: 'a server error' },
  rate_limited: { vi: 'cửa hàng yêu cầu chờ', en: 'the store asked to wait' },
  unreachable: { vi: 'không kết nối được', en: 'the store could not be reached' },
  other: { vi: 'cửa hàng báo lỗi', en: 'the store reported an error' },
};

export interface StoreErrorText {
  kind: StoreErrorKind;
  /** In the staff's language. */
  text: string;
  /** The store's own words, shown in small print after the text when the kind does not say it all. */
  original: string | null;
}

export function isStoreErrorCode(code: string): boolean {
  return (storeErrorCodes as readonly string[]).includes(code);
}

interface StoreErrorDetails {
  code?: unknown;
  category?: unknown;
  status?: unknown;
  cause?: unknown;
  maintenance?: unknown;
  retryAfterMs?: unknown;
  retryInMs?: unknown;
  waitMs?: unknown;
  deadlineMs?: unknown;
  source?: unknown;
  lastCause?: StoreCause;
}

/** The kind of a store failure: Magento's code, a message it is known to send, its category, then the app's code. */
export function storeErrorKind(error: AppErrorShape): StoreErrorKind {
  const details = (error.details ?? {}) as StoreErrorDetails;
  if (typeof details.code === 'string' && Object.hasOwn(magentoCartErrorCodes, details.code)) return magentoCartErrorCodes[details.code]!;
  for (const [pattern, kind] of knownMessages) if (pattern.test(error.message)) return kind;
  switch (error.code) {
    case 'store_unavailable': {
      const cause = causeKind({ code: error.code, ...facts(details) });
      return cause === 'maintenance' || cause === 'refused' || cause === 'server_error' ? cause : 'unreachable';
    }
    case 'timeout':
      return 'timeout';
    case 'rate_limited':
      return details.source === 'app' ? 'app_rate_limited' : 'store_rate_limited';
    case 'circuit_open':
      return 'circuit_open';
    case 'cart_error':
      return /cart/i.test(error.message) && /create/i.test(error.message) ? 'cart_not_created' : 'unknown';
    default:
      break;
  }
  if (typeof details.category === 'string' && Object.hasOwn(magentoErrorCategories, details.category))
    return magentoErrorCategories[details.category]!;
  if (error.code === 'store_not_found') return 'product_not_found';
  if (error.code === 'store_input') return 'invalid_input';
  return 'unknown';
}

function facts(details: StoreErrorDetails): Omit<StoreCause, 'code'> {
  return {
    ...(typeof details.status === 'number' ? { httpStatus: details.status } : {}),
    ...(typeof details.cause === 'string' ? { cause: details.cause } : {}),
    ...(details.maintenance === true ? { maintenance: true } : {}),
  };
}

function causeKind(cause: StoreCause): CauseKind {
  if (cause.maintenance) return 'maintenance';
  if (cause.code === 'timeout') return 'timeout';
  if (cause.code === 'rate_limited') return 'rate_limited';
  if (cause.cause === 'ECONNREFUSED') return 'refused';
  if (cause.httpStatus !== undefined && cause.httpStatus >= 500) return 'server_error';
  return cause.code === 'store_unavailable' ? 'unreachable' : 'other';
}

/** A failure's cause in a few words of the staff's language. */
export function describeStoreCause(cause: StoreCause, language: Language): string {
  const kind = causeKind(cause);
  const text = storeCauseTexts[kind][language];
  return kind === 'server_error' && cause.httpStatus !== undefined ? `${text} (${cause.httpStatus})` : text;
}

/** The staff's text for a store failure, and the store's own words when the text does not say it all. */
export function describeStoreError(error: AppErrorShape, language: Language): StoreErrorText {
  const details = (error.details ?? {}) as StoreErrorDetails;
  const kind = storeErrorKind(error);
  const waited = [details.retryInMs, details.retryAfterMs, details.waitMs, details.deadlineMs].find((value) => typeof value === 'number') as
    number | undefined;
  const text = storeErrorTexts[kind][language]({
    seconds: waited === undefined ? null : Math.max(1, Math.ceil(waited / 1000)),
    status: typeof details.status === 'number' ? details.status : null,
    cause: details.lastCause ? describeStoreCause(details.lastCause, language) : '',
  });
  const original = kind === 'unknown' || kind === 'invalid_input' ? storeWords(error) : null;
  return { kind, text, original };
}

/** The text and, in small print after it, the store's own words: one line for places that show only text. */
export function storeErrorMessage(error: AppErrorShape, language: Language): string {
  const { text, original } = describeStoreError(error, language);
  return original ? `${text} “${original}”` : text;
}

/** What the store itself said: Magento's message when there was one. */
function storeWords(error: AppErrorShape): string {
  const details = (error.details ?? {}) as { messages?: unknown; original?: unknown };
  if (typeof details.original === 'string') return details.original;
  return error.message;
}

/**
 * The same failure with its message in the staff's language (the store's own words kept in
 * `details.original`); anything that is not a store failure is returned as it is.
 */
export function inStaffLanguage(error: unknown, language: Language): unknown {
  if (!(error instanceof AppError) || !isStoreErrorCode(error.code)) return error;
  const details = (error.details ?? {}) as Record<string, unknown>;
  if (details.localized === true) return error;
  return new AppError(error.code, storeErrorMessage(error.toShape(), language), {
    ...details,
    original: typeof details.original === 'string' ? details.original : error.message,
    localized: true,
  });
}
