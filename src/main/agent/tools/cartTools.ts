import { z } from 'zod';
import { TOOL_NAMES } from '@shared/agentNames';
import type { Cart } from '@shared/commerce';
import { isAppError } from '@shared/errors';
import { FunctionTool, type ToolContext, type ToolResult } from '../tool';
import type { CommercePort } from '../ports';

/** The cart as the model sees it: lines and totals; the store's cart id (a bearer secret) stays out. */
export function cartForModel(cart: Cart): ToolResult {
  return {
    lines: cart.lines.map((line) => ({
      itemId: line.uid,
      sku: line.sku,
      name: line.name,
      ...(line.unit ? { unit: line.unit } : {}),
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      lineTotal: line.lineTotal,
    })),
    totalQuantity: cart.itemCount,
    grandTotal: cart.grandTotal,
  };
}

function quantityOf(cart: Cart, sku: string): number {
  return cart.lines.filter((line) => line.sku === sku).reduce((sum, line) => sum + line.quantity, 0);
}

/** An add whose outcome is unknown (the answer was lost), as opposed to one the store refused. */
function outcomeUnknown(error: unknown): boolean {
  return isAppError(error) && (error.code === 'timeout' || error.code === 'store_unavailable');
}

/**
 * `add_to_cart` never adds the same thing twice in one run: a repeated call with the same sku and
 * quantity returns the first result, and an add whose answer was lost is checked against the cart
 * (read first, which also makes sure the customer has one) instead of being sent again.
 */
async function addOnce(commerce: CommercePort, sku: string, quantity: number, context: ToolContext): Promise<ToolResult> {
  const guardKey = `cart.add:${sku}:${quantity}`;
  const previous = context.runState.get(guardKey) as ToolResult | undefined;
  if (previous) return { ...previous, alreadyAdded: true, note: 'Already added in this turn; not added again.' };
  const customerId = context.userId;
  const before = await commerce.getCart({ customerId, signal: context.signal });
  const baseline = quantityOf(before.cart, sku);
  let after: Cart;
  try {
    after = (await commerce.addToCart({ customerId, sku, quantity, signal: context.signal })).cart;
  } catch (error) {
    // Sent but unanswered: the cart says whether it was added, so it is never added twice.
    if (!outcomeUnknown(error)) throw error;
    const check = await commerce.getCart({ customerId, signal: context.signal });
    if (quantityOf(check.cart, sku) < baseline + quantity) throw error;
    after = check.cart;
  }
  const result = { added: { sku, quantity }, quantityInCart: quantityOf(after, sku), cart: cartForModel(after) };
  context.runState.set(guardKey, result);
  return result;
}

export function createCartTools(commerce: CommercePort): FunctionTool[] {
  const itemId = z.string().trim().min(1).max(128);
  return [
    new FunctionTool({
      name: TOOL_NAMES.getCart,
      description: "The current customer's cart: lines (itemId, sku, name, quantity, unit price, line total), total quantity and grand total in VND.",
      parameters: z.object({}).strict(),
      execute: async (_args, context) => cartForModel((await commerce.getCart({ customerId: context.userId, signal: context.signal })).cart),
    }),
    new FunctionTool({
      name: TOOL_NAMES.createCart,
      description: 'Make sure the customer has a cart; an existing cart is kept, never replaced.',
      parameters: z.object({}).strict(),
      execute: async (_args, context) => {
        const { cart, recreated } = await commerce.getCart({ customerId: context.userId, signal: context.signal });
        return { ready: true, recreated, cart: cartForModel(cart) };
      },
    }),
    new FunctionTool({
      name: TOOL_NAMES.addToCart,
      description: "Add a product (sku from search results) to the customer's cart. Call once per product: it is never added twice.",
      parameters: z.object({ sku: z.string().trim().min(1).max(64), quantity: z.number().int().min(1).max(99).default(1) }).strict(),
      execute: ({ sku, quantity }, context) => addOnce(commerce, sku, quantity, context),
    }),
    new FunctionTool({
      name: TOOL_NAMES.updateCartItem,
      description: 'Set the quantity of a cart line (itemId from get_cart); 0 removes the line.',
      parameters: z.object({ item_id: itemId, quantity: z.number().int().min(0).max(99) }).strict(),
      execute: async ({ item_id, quantity }, context) => {
        const customerId = context.userId;
        const { cart } =
          quantity === 0
            ? await commerce.removeCartItem({ customerId, uid: item_id, signal: context.signal })
            : await commerce.updateCartItem({ customerId, uid: item_id, quantity, signal: context.signal });
        return { updated: { itemId: item_id, quantity }, cart: cartForModel(cart) };
      },
    }),
    new FunctionTool({
      name: TOOL_NAMES.removeCartItem,
      description: 'Remove a line from the cart (itemId from get_cart).',
      parameters: z.object({ item_id: itemId }).strict(),
      execute: async ({ item_id }, context) => {
        const { cart } = await commerce.removeCartItem({ customerId: context.userId, uid: item_id, signal: context.signal });
        return { removed: { itemId: item_id }, cart: cartForModel(cart) };
      },
    }),
  ];
}
