import { z } from 'zod';
import { TOOL_NAMES } from '@shared/agentNames';
import type { Cart, ProductDetail, ProductSummary } from '@shared/commerce';
import { isAppError } from '@shared/errors';
import { describePack, nameWithoutPack, packAgreement, packOfProduct, parsePackQuery, type PackRequest } from '@shared/packs';
import { storeErrorKind } from '@shared/storeErrors';
import { FunctionTool, type ToolContext, type ToolResult } from '../tool';
import type { CommercePort, StoreCallInput } from '../ports';
import { productFacts } from './productTools';
import { inStaffWords } from './storeCalls';

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

/** Why a product was not added although the store answered. */
type NotAddedReason = 'other_pack' | 'out_of_stock' | 'not_enough_stock';

/** The store's refusal of an add that means "not this product, not now", answered with alternatives rather than as a failure. */
function refusalReason(error: unknown): NotAddedReason | null {
  if (!isAppError(error) || error.code !== 'cart_error') return null;
  const kind = storeErrorKind(error.toShape());
  return kind === 'not_salable' ? 'out_of_stock' : kind === 'insufficient_stock' ? 'not_enough_stock' : null;
}

/** Alternatives offered in place of a product not added. */
const ALTERNATIVES = 3;

/**
 * Nothing added: the reason, the product, the pack asked for, and the closest products in stock:
 * the same product in the pack asked for, then its neighbours without the last word of its name in
 * that pack, then the product in other packs, each in the search's order.
 */
async function notAdded(
  commerce: CommercePort,
  input: StoreCallInput,
  reason: NotAddedReason,
  product: ProductDetail,
  requested: PackRequest | null,
): Promise<ToolResult> {
  const base = nameWithoutPack(product.name);
  // The product's name less its last word (the variant: `bạc`, `không đường`) in the pack asked for comes second.
  const broader = base.split(' ').slice(0, -1).join(' ');
  const pack = requested ? ` ${describePack(requested)}` : '';
  const queries = [...new Set([`${base}${pack}`, ...(broader.split(' ').length >= 2 ? [`${broader}${pack}`] : []), base])];
  const alternatives: ProductSummary[] = [];
  for (const query of queries) {
    if (alternatives.length >= ALTERNATIVES) break;
    const found = await commerce.searchProducts({ query, pageSize: 10, ...input });
    for (const item of found.items) {
      const offered = item.sku === product.sku || item.stockStatus !== 'in_stock' || alternatives.some((other) => other.sku === item.sku);
      if (!offered && alternatives.length < ALTERNATIVES) alternatives.push(item);
    }
  }
  return {
    added: null,
    notAdded: {
      reason,
      sku: product.sku,
      name: product.name,
      unit: product.unit ?? null,
      inStock: product.stockStatus === 'in_stock',
      ...(requested ? { requestedPack: describePack(requested) } : {}),
    },
    alternatives: alternatives.map(productFacts),
    note:
      reason === 'other_pack'
        ? 'Not added: this product is not the pack asked for. Tell the staff and offer the alternatives; never add another pack without asking.'
        : 'Not added: the store has not enough of it. Tell the staff and offer the alternatives.',
  };
}

/**
 * `add_to_cart` adds only what was asked for, and never twice in one run. With `pack` (the staff's
 * pack words), a product of another pack, or one out of stock, is not added: the answer says so and
 * offers the closest alternatives, as it does when the store refuses the add as not salable. A
 * repeated call with the same sku and quantity returns the first result, and an add whose answer
 * was lost is checked against the cart (read first, which also makes sure the customer has one)
 * instead of being sent again.
 */
async function addOnce(
  commerce: CommercePort,
  args: { sku: string; quantity: number; pack?: string | undefined },
  context: ToolContext,
  input: StoreCallInput,
): Promise<ToolResult> {
  const { sku, quantity } = args;
  const guardKey = `cart.add:${sku}:${quantity}`;
  const previous = context.runState.get(guardKey) as ToolResult | undefined;
  if (previous) return { ...previous, alreadyAdded: true, note: 'Already added in this turn; not added again.' };
  const requested = args.pack ? parsePackQuery(args.pack).pack : null;
  if (requested) {
    const product = await commerce.getProduct({ sku, ...input });
    if (!packAgreement(requested, packOfProduct(product)).agrees) return notAdded(commerce, input, 'other_pack', product, requested);
    if (product.stockStatus === 'out_of_stock') return notAdded(commerce, input, 'out_of_stock', product, requested);
  }
  const customerId = context.userId;
  const before = await commerce.getCart({ customerId, ...input });
  const baseline = quantityOf(before.cart, sku);
  let after: Cart;
  try {
    after = (await commerce.addToCart({ customerId, sku, quantity, ...input })).cart;
  } catch (error) {
    const refused = refusalReason(error);
    if (refused) return notAdded(commerce, input, refused, await commerce.getProduct({ sku, ...input }), requested);
    // Sent but unanswered: the cart says whether it was added, so it is never added twice.
    if (!outcomeUnknown(error)) throw error;
    const check = await commerce.getCart({ customerId, ...input });
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
      execute: (_args, context) =>
        inStaffWords(context, async (input) => cartForModel((await commerce.getCart({ customerId: context.userId, ...input })).cart)),
    }),
    new FunctionTool({
      name: TOOL_NAMES.createCart,
      description: 'Make sure the customer has a cart; an existing cart is kept, never replaced.',
      parameters: z.object({}).strict(),
      execute: (_args, context) =>
        inStaffWords(context, async (input) => {
          const { cart, recreated } = await commerce.getCart({ customerId: context.userId, ...input });
          return { ready: true, recreated, cart: cartForModel(cart) };
        }),
    }),
    new FunctionTool({
      name: TOOL_NAMES.addToCart,
      description:
        "Add a product (sku from search results) to the customer's cart. Pass `pack` with the pack or unit words the staff used (thùng, lốc 6, hộp 1L, két, case, six-pack): a product of another pack, or one out of stock, is then not added and the answer gives `notAdded` with the closest in-stock `alternatives` to offer. Call once per product: it is never added twice.",
      parameters: z
        .object({
          sku: z.string().trim().min(1).max(64),
          quantity: z.number().int().min(1).max(99).default(1),
          pack: z.string().trim().min(1).max(60).optional(),
        })
        .strict(),
      execute: (args, context) => inStaffWords(context, (input) => addOnce(commerce, args, context, input)),
    }),
    new FunctionTool({
      name: TOOL_NAMES.updateCartItem,
      description: 'Set the quantity of a cart line (itemId from get_cart); 0 removes the line.',
      parameters: z.object({ item_id: itemId, quantity: z.number().int().min(0).max(99) }).strict(),
      execute: ({ item_id, quantity }, context) =>
        inStaffWords(context, async (input) => {
          const customerId = context.userId;
          const { cart } =
            quantity === 0
              ? await commerce.removeCartItem({ customerId, uid: item_id, ...input })
              : await commerce.updateCartItem({ customerId, uid: item_id, quantity, ...input });
          return { updated: { itemId: item_id, quantity }, cart: cartForModel(cart) };
        }),
    }),
    new FunctionTool({
      name: TOOL_NAMES.removeCartItem,
      description: 'Remove a line from the cart (itemId from get_cart).',
      parameters: z.object({ item_id: itemId }).strict(),
      execute: ({ item_id }, context) =>
        inStaffWords(context, async (input) => {
          const { cart } = await commerce.removeCartItem({ customerId: context.userId, uid: item_id, ...input });
          return { removed: { itemId: item_id }, cart: cartForModel(cart) };
        }),
    }),
  ];
}
