import type { Cart, CategorySummary, ProductDetail, ProductSummary } from '@shared/commerce';
import { packTextOf } from '@shared/packs';

/** Raw store objects as the client's operations select them. */
export interface RawMoney {
  value?: number | null;
  currency?: string | null;
}

export interface RawProduct {
  uid?: string;
  sku?: string | null;
  name?: string | null;
  url_key?: string | null;
  url_suffix?: string | null;
  canonical_url?: string | null;
  stock_status?: 'IN_STOCK' | 'OUT_OF_STOCK' | null;
  thumbnail?: { url?: string | null } | null;
  price_range?: {
    minimum_price?: {
      regular_price?: RawMoney | null;
      final_price?: RawMoney | null;
      discount?: { amount_off?: number | null; percent_off?: number | null } | null;
    } | null;
  } | null;
  description?: { html?: string | null } | null;
  categories?: ({ name?: string | null } | null)[] | null;
  ecom_name?: string | null;
  unit_ecom?: string | null;
}

/** The `products` query's answer (search and product by SKU). */
export interface RawProducts {
  products: {
    total_count?: number | null;
    page_info?: { current_page?: number | null; total_pages?: number | null } | null;
    suggestions?: ({ search: string } | null)[] | null;
    items?: (RawProduct | null)[] | null;
  } | null;
}

export interface RawCart {
  id: string;
  total_quantity?: number | null;
  items?:
    | ({
        uid: string;
        quantity: number;
        prices?: { price?: RawMoney | null; row_total?: RawMoney | null } | null;
        product?: { sku?: string | null; name?: string | null; thumbnail?: { url?: string | null } | null; unit_ecom?: string | null } | null;
      } | null)[]
    | null;
  prices?: {
    subtotal_including_tax?: RawMoney | null;
    grand_total?: RawMoney | null;
    discounts?: ({ amount?: RawMoney | null } | null)[] | null;
  } | null;
}

export interface RawCategory {
  uid: string;
  name?: string | null;
  url_path?: string | null;
  product_count?: number | null;
  children?: (RawCategory | null)[] | null;
}

/** VND has no minor unit: every amount is a whole number of đồng. */
const vnd = (money: RawMoney | null | undefined): number => Math.round(money?.value ?? 0);

/** The selling unit a stock store only tells inside the name: `... hộp 1L` → `hộp 1L`. */
export const unitFromName = packTextOf;

export function shapeProduct(raw: RawProduct, storeBaseUrl: string, mmExtensions: boolean): ProductSummary {
  const price = raw.price_range?.minimum_price;
  const finalPrice = vnd(price?.final_price);
  const regularPrice = Math.max(vnd(price?.regular_price), finalPrice);
  const percent = price?.discount?.percent_off ?? (regularPrice > 0 ? ((regularPrice - finalPrice) / regularPrice) * 100 : 0);
  const name = ((mmExtensions ? raw.ecom_name : null) ?? raw.name ?? raw.sku ?? '').trim();
  const unit = (mmExtensions ? raw.unit_ecom : null) ?? unitFromName(name);
  const path = raw.canonical_url ?? (raw.url_key ? `${raw.url_key}${raw.url_suffix ?? '.html'}` : null);
  const summary: ProductSummary = {
    sku: raw.sku ?? '',
    name,
    price: finalPrice,
    originalPrice: regularPrice,
    discountPercent: Math.max(0, Math.round(percent)),
    stockStatus: raw.stock_status === 'OUT_OF_STOCK' ? 'out_of_stock' : 'in_stock',
    imageUrl: raw.thumbnail?.url ?? null,
    url: path ? new URL(path, storeBaseUrl).toString() : null,
  };
  if (unit) summary.unit = unit;
  return summary;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The store's HTML as plain text: tags dropped, common entities decoded, whitespace collapsed. */
export function plainText(html: string, maxLength = 2000): string {
  const text = html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, entity: string) => {
      if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
      if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
      return entities[entity.toLowerCase()] ?? whole;
    })
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

export function shapeProductDetail(raw: RawProduct, storeBaseUrl: string, mmExtensions: boolean): ProductDetail {
  return {
    ...shapeProduct(raw, storeBaseUrl, mmExtensions),
    description: plainText(raw.description?.html ?? ''),
    categories: (raw.categories ?? []).flatMap((category) => (category?.name ? [category.name] : [])),
  };
}

export function shapeCart(raw: RawCart, mmExtensions: boolean): Cart {
  const lines = (raw.items ?? []).flatMap((item) => {
    if (!item) return [];
    const name = item.product?.name ?? item.product?.sku ?? '';
    const unit = (mmExtensions ? item.product?.unit_ecom : null) ?? unitFromName(name);
    return [
      {
        uid: item.uid,
        sku: item.product?.sku ?? '',
        name,
        ...(unit ? { unit } : {}),
        quantity: item.quantity,
        unitPrice: vnd(item.prices?.price),
        lineTotal: vnd(item.prices?.row_total),
        imageUrl: item.product?.thumbnail?.url ?? null,
      },
    ];
  });
  const discount = (raw.prices?.discounts ?? []).reduce((sum, entry) => sum + vnd(entry?.amount), 0);
  return {
    id: raw.id,
    lines,
    subtotal: vnd(raw.prices?.subtotal_including_tax),
    discount,
    grandTotal: vnd(raw.prices?.grand_total),
    itemCount: raw.total_quantity ?? lines.reduce((sum, line) => sum + line.quantity, 0),
  };
}

export function shapeCategory(raw: RawCategory): CategorySummary {
  return {
    uid: raw.uid,
    name: raw.name ?? '',
    urlPath: raw.url_path ?? null,
    productCount: raw.product_count ?? 0,
    children: (raw.children ?? []).flatMap((child) => (child ? [shapeCategory(child)] : [])),
  };
}
