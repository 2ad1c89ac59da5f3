/**
 * The names of the agents and of their tools, as main declares them to the model and streams them
 * in `chat.event`s (`agent`, `tool_call.name`, `tool_result.name`, `transfer.to`). Main builds its
 * agents and tools with these constants and the renderer labels them by them; no zod here.
 */

export const AGENT_NAMES = { root: 'mm_assistant', product: 'product_agent', cart: 'cart_agent', summarizer: 'summarizer_agent' } as const;
export type AgentName = (typeof AGENT_NAMES)[keyof typeof AGENT_NAMES];

export const TOOL_NAMES = {
  searchProducts: 'search_products',
  productDetails: 'get_product_details',
  compareProducts: 'compare_products',
  findIngredients: 'find_ingredients',
  getCart: 'get_cart',
  createCart: 'create_cart',
  addToCart: 'add_to_cart',
  updateCartItem: 'update_cart_item',
  removeCartItem: 'remove_cart_item',
  memorize: 'memorize',
  memorizeList: 'memorize_list',
  getMemory: 'get_memory',
  forget: 'forget',
  searchMemory: 'search_memory',
  /** The tool every agent with sub-agents gets for handing the conversation over. */
  transferToAgent: 'transfer_to_agent',
} as const;
export type ToolName = (typeof TOOL_NAMES)[keyof typeof TOOL_NAMES];

/** The product agent's tools; each of their results carries products (see contract/toolResults.ts). */
export const PRODUCT_TOOL_NAMES = [
  TOOL_NAMES.searchProducts,
  TOOL_NAMES.productDetails,
  TOOL_NAMES.compareProducts,
  TOOL_NAMES.findIngredients,
] as const;
export const CART_TOOL_NAMES = [
  TOOL_NAMES.getCart,
  TOOL_NAMES.createCart,
  TOOL_NAMES.addToCart,
  TOOL_NAMES.updateCartItem,
  TOOL_NAMES.removeCartItem,
] as const;
/** The memory service's tools, which the root agent owns. */
export const MEMORY_TOOL_NAMES = [
  TOOL_NAMES.memorize,
  TOOL_NAMES.memorizeList,
  TOOL_NAMES.getMemory,
  TOOL_NAMES.forget,
  TOOL_NAMES.searchMemory,
] as const;

export type ProductToolName = (typeof PRODUCT_TOOL_NAMES)[number];
export type CartToolName = (typeof CART_TOOL_NAMES)[number];
export type MemoryToolName = (typeof MEMORY_TOOL_NAMES)[number];

const agentNameSet: ReadonlySet<string> = new Set(Object.values(AGENT_NAMES));

export function isAgentName(name: string): name is AgentName {
  return agentNameSet.has(name);
}

export function isProductToolName(name: string): name is ProductToolName {
  return (PRODUCT_TOOL_NAMES as readonly string[]).includes(name);
}

export function isCartToolName(name: string): name is CartToolName {
  return (CART_TOOL_NAMES as readonly string[]).includes(name);
}

export function isMemoryToolName(name: string): name is MemoryToolName {
  return (MEMORY_TOOL_NAMES as readonly string[]).includes(name);
}
