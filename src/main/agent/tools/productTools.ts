import { z } from 'zod';
import { TOOL_NAMES } from '@shared/agentNames';
import type { ProductDetail, ProductSearchResult, ProductSummary, SearchAttempt } from '@shared/commerce';
import type { Language } from '@shared/settings';
import { FunctionTool, type ToolResult } from '../tool';
import type { CommercePort } from '../ports';
import { inStaffWords } from './storeCalls';

const skuSchema = z.string().trim().min(1).max(64);
const querySchema = z.string().trim().min(1, 'query is empty').max(200);

/**
 * Only the fields staff and the model need; ids and everything else the store sends stay out. The
 * image URL is for the UI's product cards only: the runner sends the model `resultForModel` of this
 * (forModel.ts), without it. `packMatch` says whether it is the pack the search asked for.
 */
export function productForModel(product: ProductSummary): ToolResult {
  return { ...productFacts(product), imageUrl: product.imageUrl };
}

/** A product's facts without its image: for results of tools whose products are no cards (the cart tool's alternatives). */
export function productFacts(product: ProductSummary): ToolResult {
  return {
    sku: product.sku,
    name: product.name,
    ...(product.brand ? { brand: product.brand } : {}),
    price: product.price,
    originalPrice: product.originalPrice,
    discountPercent: product.discountPercent,
    unit: product.unit ?? null,
    inStock: product.stockStatus === 'in_stock',
    ...(product.packMatch !== undefined ? { packMatch: product.packMatch } : {}),
  };
}

/** How many of the queries tried are listed; the rest are counted. */
const TRIED_LISTED = 6;

const attemptWords: Record<Language, Record<SearchAttempt['step'], (attempt: SearchAttempt) => string>> = {
  vi: {
    exact: ({ text }) => `“${text}”`,
    folded: ({ text }) => `“${text}” (theo cách viết của cửa hàng)`,
    units: ({ text }) => `“${text}” (viết lại đơn vị)`,
    fewer_terms: ({ text, dropped }) => `“${text}” (bỏ ${(dropped ?? []).map((word) => `“${word}”`).join(', ')})`,
    name_match: ({ text }) => `tên sản phẩm có “${text}”`,
    category: ({ text }) => `ngành hàng “${text}”`,
    none: ({ text }) => `“${text}”`,
  },
  en: {
    exact: ({ text }) => `“${text}”`,
    folded: ({ text }) => `“${text}” (as the store spells it)`,
    units: ({ text }) => `“${text}” (units rewritten)`,
    fewer_terms: ({ text, dropped }) => `“${text}” (without ${(dropped ?? []).map((word) => `“${word}”`).join(', ')})`,
    name_match: ({ text }) => `product names containing “${text}”`,
    category: ({ text }) => `the “${text}” department`,
    none: ({ text }) => `“${text}”`,
  },
};

/** What the search tried, in the staff's words (never notation such as `name ~ text`). */
export function triedInWords(attempts: readonly SearchAttempt[], language: Language): string[] {
  const listed = attempts.slice(0, TRIED_LISTED).map((attempt) => attemptWords[language][attempt.step](attempt));
  const more = attempts.length - listed.length;
  if (more > 0) listed.push(language === 'vi' ? `và ${more} cách khác` : `and ${more} more`);
  return listed;
}

export function searchForModel(result: ProductSearchResult, limit: number, language: Language): ToolResult {
  return {
    query: result.query,
    total: result.total,
    foundBy: result.fallback.step,
    tried: triedInWords(result.fallback.attempts, language),
    ...(result.pack ? { pack: result.pack } : {}),
    ...(result.quantity !== null ? { quantity: result.quantity } : {}),
    ...(result.items.length === 0 && result.suggestions.length > 0 ? { suggestions: result.suggestions.slice(0, 5) } : {}),
    items: result.items.slice(0, limit).map(productForModel),
  };
}

/** The store's description is already plain text; the model gets the first 500 characters. */
function detailForModel(product: ProductDetail): ToolResult {
  const description = product.description.length <= 500 ? product.description : `${product.description.slice(0, 499)}…`;
  return { ...productForModel(product), description, categories: product.categories.slice(0, 5) };
}

export function createProductTools(commerce: CommercePort): {
  search: FunctionTool;
  details: FunctionTool;
  compare: FunctionTool;
  ingredients: FunctionTool;
} {
  const search = new FunctionTool({
    name: TOOL_NAMES.searchProducts,
    description:
      'Search the MM Mega Market catalog (Vietnamese or English words, accents optional, pack words such as thùng, lốc 6, hộp 1L, case, six-pack understood). Returns up to `limit` products with sku, name, price and original price in VND, unit and stock, the pack asked for (`pack`) and whether each product is that pack (`packMatch`), plus which fallback step found them and what was tried.',
    parameters: z.object({ query: querySchema, limit: z.number().int().min(1).max(10).default(5) }).strict(),
    execute: ({ query, limit }, context) =>
      inStaffWords(context, async (input) =>
        searchForModel(await commerce.searchProducts({ query, pageSize: limit, ...input }), limit, context.language),
      ),
  });
  const details = new FunctionTool({
    name: TOOL_NAMES.productDetails,
    description: 'Details of one product by sku: name, price, original price, unit, stock, categories and a short plain-text description.',
    parameters: z.object({ sku: skuSchema }).strict(),
    execute: ({ sku }, context) => inStaffWords(context, async (input) => detailForModel(await commerce.getProduct({ sku, ...input }))),
  });
  const compare = new FunctionTool({
    name: TOOL_NAMES.compareProducts,
    description: 'Side-by-side facts (price, original price, unit, stock) of 2 to 4 products by sku.',
    parameters: z.object({ skus: z.array(skuSchema).min(2).max(4) }).strict(),
    execute: ({ skus }, context) =>
      inStaffWords(context, async (input) => {
        const products = await Promise.all(skus.map((sku) => commerce.getProduct({ sku, ...input })));
        return { products: products.map(productForModel) };
      }),
  });
  const ingredients = new FunctionTool({
    name: TOOL_NAMES.findIngredients,
    description:
      'For a dish, look up each ingredient you list (e.g. phở bò: bánh phở, thịt bò, hành tây, quế hồi) and return the best matching product of each, or null.',
    parameters: z.object({ dish: z.string().trim().min(1).max(100), ingredients: z.array(querySchema).min(1).max(12) }).strict(),
    execute: ({ dish, ingredients: wanted }, context) =>
      inStaffWords(context, async (input) => {
        const found = await Promise.all(
          wanted.map(async (ingredient) => {
            const result = await commerce.searchProducts({ query: ingredient, pageSize: 1, ...input });
            const best = result.items[0];
            // Found only by dropping words or by category ("bánh phở" → a bánh bao): not that ingredient.
            const loose = result.fallback.step === 'fewer_terms' || result.fallback.step === 'category';
            return { ingredient, product: best && !loose ? productForModel(best) : null };
          }),
        );
        return { dish, ingredients: found };
      }),
  });
  return { search, details, compare, ingredients };
}
