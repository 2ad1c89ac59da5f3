import type { Language } from '@shared/settings';

/** Templated answers of the offline planner, built only from tool results. */

const vnd = new Intl.NumberFormat('vi-VN', { style: 'currency', currency: 'VND' });

export function formatVnd(value: unknown): string | null {
  return typeof value === 'number' && Number.isFinite(value) ? vnd.format(value) : null;
}

export interface ProductFacts {
  sku?: unknown;
  name?: unknown;
  price?: unknown;
  originalPrice?: unknown;
  unit?: unknown;
  inStock?: unknown;
  /** The pack the search asked for (search results only). */
  packMatch?: unknown;
  description?: unknown;
}

export interface CartFacts {
  lines?: { itemId?: unknown; name?: unknown; quantity?: unknown; lineTotal?: unknown }[];
  totalQuantity?: unknown;
  grandTotal?: unknown;
}

const text = {
  vi: {
    inStock: 'còn hàng',
    outOfStock: 'hết hàng',
    originalPrice: 'giá gốc',
    found: (n: number, total: number, query: string) => `Tìm thấy ${total} sản phẩm cho "${query}"${total > n ? `, đây là ${n} sản phẩm đầu` : ''}:`,
    foundBy: (query: string) => `(tìm theo "${query}")`,
    notFound: (query: string, tried: string) =>
      `Không tìm thấy sản phẩm nào cho "${query}". Đã thử: ${tried}. Bạn thử từ khóa khác, tên thương hiệu hoặc tên ngành hàng nhé.`,
    details: 'Chi tiết sản phẩm:',
    compare: 'So sánh:',
    added: (qty: number, name: string) => `Đã thêm ${qty} × ${name} vào giỏ hàng.`,
    packUnavailable: (pack: string, product: string) => `Cửa hàng không có loại “${pack}” cho “${product}”, nên chưa thêm gì vào giỏ.`,
    soldOut: (name: string) => `${name} đang hết hàng, nên chưa thêm vào giỏ.`,
    notEnough: (qty: number, name: string) => `Cửa hàng không còn đủ ${qty} × ${name}, nên chưa thêm vào giỏ.`,
    alternatives: 'Lựa chọn gần nhất còn hàng:',
    noAlternatives: 'Không có sản phẩm tương tự còn hàng.',
    alreadyAdded: (name: string) => `${name} đã được thêm ở lượt này, không thêm lần nữa.`,
    updated: (name: string, qty: number) => `Đã đổi số lượng ${name} thành ${qty}.`,
    removed: (name: string) => `Đã xóa ${name} khỏi giỏ hàng.`,
    emptyCart: 'Giỏ hàng đang trống.',
    cart: 'Giỏ hàng hiện tại:',
    total: (qty: number, total: string) => `Tổng: ${qty} sản phẩm, ${total}.`,
    notInCart: (query: string) => `Không thấy "${query}" trong giỏ hàng.`,
    remembered: (fact: string) => `Đã ghi nhớ cho khách này: ${fact}`,
    recallNone: 'Chưa ghi nhớ điều gì về khách này.',
    recallNoneTopic: (topic: string) => `Chưa ghi nhớ điều gì về "${topic}" cho khách này.`,
    recall: 'Những điều đã ghi nhớ về khách này:',
    forgot: (what: string) => `Đã quên: ${what}`,
    forgetNone: (topic: string) => `Không có ghi nhớ nào về "${topic}" để quên.`,
    greet: 'Xin chào! Tôi có thể tìm sản phẩm, xem giá và tồn kho, quản lý giỏ hàng và ghi nhớ sở thích của khách.',
    help: 'Chế độ ngoại tuyến hiểu các yêu cầu như: "tìm sữa tươi", "chi tiết gạo ST25", "thêm 2 hộp sữa tươi", "đổi số lượng sữa tươi thành 3", "xóa sữa tươi", "xem giỏ hàng", "nhớ rằng khách thích ...", "khách thích gì?", "quên ...".',
    failed: (message: string) => `Không thực hiện được: ${message}`,
    noIngredients:
      'Chế độ ngoại tuyến chỉ biết nguyên liệu của vài món (phở bò, canh chua, thịt kho, bò kho, gà rán, lẩu hải sản); hãy tìm từng nguyên liệu, ví dụ "tìm thịt bò".',
    ingredients: (dish: string) => `Nguyên liệu gợi ý cho ${dish}:`,
    noneFound: 'không có trong cửa hàng',
  },
  en: {
    inStock: 'in stock',
    outOfStock: 'out of stock',
    originalPrice: 'was',
    found: (n: number, total: number, query: string) => `Found ${total} products for "${query}"${total > n ? `, here are the first ${n}` : ''}:`,
    foundBy: (query: string) => `(searched as "${query}")`,
    notFound: (query: string, tried: string) => `No products found for "${query}". Tried: ${tried}. Try other words, a brand or a department name.`,
    details: 'Product details:',
    compare: 'Comparison:',
    added: (qty: number, name: string) => `Added ${qty} × ${name} to the cart.`,
    packUnavailable: (pack: string, product: string) => `The store has no “${pack}” of “${product}”, so nothing was added.`,
    soldOut: (name: string) => `${name} is out of stock, so it was not added.`,
    notEnough: (qty: number, name: string) => `The store does not have ${qty} × ${name}, so it was not added.`,
    alternatives: 'Closest alternatives in stock:',
    noAlternatives: 'No similar product is in stock.',
    alreadyAdded: (name: string) => `${name} was already added in this turn; not added again.`,
    updated: (name: string, qty: number) => `Changed the quantity of ${name} to ${qty}.`,
    removed: (name: string) => `Removed ${name} from the cart.`,
    emptyCart: 'The cart is empty.',
    cart: 'Current cart:',
    total: (qty: number, total: string) => `Total: ${qty} items, ${total}.`,
    notInCart: (query: string) => `"${query}" is not in the cart.`,
    remembered: (fact: string) => `Remembered for this customer: ${fact}`,
    recallNone: 'Nothing is remembered about this customer yet.',
    recallNoneTopic: (topic: string) => `Nothing is remembered about "${topic}" for this customer.`,
    recall: 'What is remembered about this customer:',
    forgot: (what: string) => `Forgotten: ${what}`,
    forgetNone: (topic: string) => `Nothing about "${topic}" is remembered, so there is nothing to forget.`,
    greet: 'Hello! I can find products, check prices and stock, manage the cart and remember what the customer likes.',
    help: 'Offline mode understands requests such as: "find fresh milk", "details of ST25 rice", "add 2 boxes of fresh milk", "change milk to 3", "remove milk", "show cart", "remember that the customer likes ...", "what does the customer like?", "forget ...".',
    failed: (message: string) => `Could not do that: ${message}`,
    noIngredients:
      'Offline mode knows the ingredients of a few dishes only (phở bò, canh chua, thịt kho, bò kho, gà rán, lẩu hải sản); search for each one, e.g. "find thịt bò".',
    ingredients: (dish: string) => `Suggested ingredients for ${dish}:`,
    noneFound: 'not in the store',
  },
};

export type AnswerText = (typeof text)['vi'];

export function answers(language: Language): AnswerText {
  return text[language];
}

export function productLine(product: ProductFacts, language: Language): string {
  const t = answers(language);
  const price = formatVnd(product.price) ?? '—';
  const original =
    typeof product.originalPrice === 'number' && product.originalPrice !== product.price
      ? ` (${t.originalPrice} ${formatVnd(product.originalPrice)})`
      : '';
  const unit = typeof product.unit === 'string' && product.unit ? ` / ${product.unit}` : '';
  const stock = product.inStock === true ? t.inStock : product.inStock === false ? t.outOfStock : '';
  return `${String(product.name)} — ${price}${original}${unit}${stock ? `, ${stock}` : ''}`;
}

/** Nothing added: why, then the closest products in stock to offer instead. */
export function notAddedText(reason: string, alternatives: ProductFacts[], language: Language): string {
  const t = answers(language);
  if (alternatives.length === 0) return `${reason}\n${t.noAlternatives}`;
  return [reason, t.alternatives, ...alternatives.map((product) => `- ${productLine(product, language)}`)].join('\n');
}

export function cartText(cart: CartFacts, language: Language): string {
  const t = answers(language);
  const lines = cart.lines ?? [];
  if (lines.length === 0) return t.emptyCart;
  const body = lines.map((line) => `- ${String(line.quantity)} × ${String(line.name)}: ${formatVnd(line.lineTotal) ?? '—'}`);
  return [t.cart, ...body, t.total(Number(cart.totalQuantity ?? 0), formatVnd(cart.grandTotal) ?? '—')].join('\n');
}
