import { z } from 'zod';
import { TOOL_NAMES, type ProductToolName } from '../agentNames';
import type { SearchStep } from '../commerce';

/**
 * The results of the tools that carry products, as `chat.event` `tool_result` streams them and the
 * session keeps them (`tool_result` events, `content.response`). Main's product tools shape them;
 * the renderer reads them with these schemas, by tool name, and shows product cards.
 */

/** A product as the tools give it to the model and the UI: only what staff and the model need. */
export const toolProductSchema = z.object({
  sku: z.string(),
  name: z.string(),
  brand: z.string().optional(),
  /** VND, integer. */
  price: z.number(),
  /** VND; equals `price` when there is no discount. */
  originalPrice: z.number(),
  /** Whole percent, 0 when there is no discount. */
  discountPercent: z.number(),
  /** Selling unit such as `chai 1L`, null when the store does not tell it. */
  unit: z.string().nullable(),
  inStock: z.boolean(),
  /** For the card only: main leaves it out of what the model is sent (src/main/agent/forModel.ts). */
  imageUrl: z.string().nullable(),
});
export type ToolProduct = z.infer<typeof toolProductSchema>;

export const searchSteps = ['exact', 'folded', 'units', 'fewer_terms', 'name_match', 'category', 'none'] as const satisfies readonly SearchStep[];

/** `search_products`: the products found, which fallback step found them and what was tried. */
export const searchProductsResultSchema = z.object({
  query: z.string(),
  total: z.number(),
  foundBy: z.enum(searchSteps),
  tried: z.array(z.string()),
  /** The store's suggestions, only when nothing was found. */
  suggestions: z.array(z.string()).optional(),
  items: z.array(toolProductSchema),
});

/** `get_product_details`: the product itself, with a short description and its categories. */
export const productDetailsResultSchema = toolProductSchema.extend({ description: z.string(), categories: z.array(z.string()) });

/** `compare_products`: the products side by side. */
export const compareProductsResultSchema = z.object({ products: z.array(toolProductSchema) });

/** `find_ingredients`: the best product for each ingredient of a dish, or null. */
export const findIngredientsResultSchema = z.object({
  dish: z.string(),
  ingredients: z.array(z.object({ ingredient: z.string(), product: toolProductSchema.nullable() })),
});

export const productsToolResultSchemas = {
  [TOOL_NAMES.searchProducts]: searchProductsResultSchema,
  [TOOL_NAMES.productDetails]: productDetailsResultSchema,
  [TOOL_NAMES.compareProducts]: compareProductsResultSchema,
  [TOOL_NAMES.findIngredients]: findIngredientsResultSchema,
} satisfies Record<ProductToolName, z.ZodType>;

/** A tool result that carries products, with the tool that made it. */
export type ProductsToolResult = {
  [T in ProductToolName]: { tool: T; result: z.infer<(typeof productsToolResultSchemas)[T]> };
}[ProductToolName];

/** The products of a tool result, ready to show as cards. */
export interface ToolProducts {
  tool: ProductToolName;
  products: ToolProduct[];
  /** The search step that found them (`search_products` only). */
  foundBy: SearchStep | null;
  /** What the search tried, in order (`search_products` only). */
  tried: string[];
}

/** Reads a result as the named tool's schema; null for a tool that carries no products or a result of another shape. */
export function parseProductsToolResult(tool: string, result: unknown): ProductsToolResult | null {
  if (!Object.hasOwn(productsToolResultSchemas, tool)) return null;
  const name = tool as ProductToolName;
  const parsed = productsToolResultSchemas[name].safeParse(result);
  return parsed.success ? ({ tool: name, result: parsed.data } as ProductsToolResult) : null;
}

/** The products a tool result carries (none for other tools, for failed calls, or for a result of another shape). */
export function toolProducts(tool: string, result: unknown): ToolProducts | null {
  const parsed = parseProductsToolResult(tool, result);
  if (!parsed) return null;
  switch (parsed.tool) {
    case 'search_products':
      return { tool: parsed.tool, products: parsed.result.items, foundBy: parsed.result.foundBy, tried: parsed.result.tried };
    case 'get_product_details':
      // The card shows the product's own fields; description and categories are for the model.
      return { tool: parsed.tool, products: [toolProductSchema.parse(parsed.result)], foundBy: null, tried: [] };
    case 'compare_products':
      return { tool: parsed.tool, products: parsed.result.products, foundBy: null, tried: [] };
    case 'find_ingredients':
      return {
        tool: parsed.tool,
        products: parsed.result.ingredients.flatMap((entry) => (entry.product ? [entry.product] : [])),
        foundBy: null,
        tried: [],
      };
  }
}
