import type { CartChanged, CartResult } from '@shared/commerce';
import { cartAddSchema, cartRemoveSchema, cartRequestSchema, cartUpdateSchema } from '@shared/contract/commerce';
import { AppError } from '@shared/errors';
import type { Emitter } from '../core/emitter';
import type { Logger } from '../core/logger';
import type { CartIdStore } from './cartIds';
import { parseInput } from './input';
import type { CallContext } from './interactiveCall';
import type { Operations } from './operations';
import { shapeCart, type RawCart } from './shape';
import type { GraphQLTransport } from './transport';

/** What the carts announce: `cartChanged` after every add or change, and when a lost cart was replaced. */
export type CartEvents = { cartChanged: CartChanged };

export interface CartsOptions {
  transport: GraphQLTransport;
  operations: Operations;
  mmExtensions: boolean;
  /** Each customer's cart id (SQLite in the app). */
  cartIds: CartIdStore;
  events: Emitter<CartEvents>;
  /** A lost cart replaced, the legacy cart creation turned on; never a customer or cart id. */
  logger: Logger;
}

type CartOperationKind = 'read' | 'add' | 'change';

const CART_LOST = /could not find a cart with id/i;
const NO_CREATE_GUEST_CART = /cannot query field "createGuestCart"/i;

/**
 * Per-customer guest carts that repair themselves. The store keeps the cart, the app keeps only its
 * id per customer; a cart the store lost (expired, store reset) is replaced by a new one and the
 * answer says `recreated: true`, never silently. One customer's cart operations run one after
 * another, so two adds never create two carts.
 */
export class Carts {
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Set once the store turns out to be older than 2.4.7 (no `createGuestCart`). */
  private legacyCartCreation = false;

  constructor(private readonly options: CartsOptions) {}

  async get(input: { customerId: string }, call: CallContext): Promise<CartResult> {
    const { customerId } = parseInput(cartRequestSchema, { customerId: input.customerId });
    return this.withCart(customerId, call, 'read', (cartId) => this.fetchCart(cartId, call));
  }

  async add(input: { customerId: string; sku: string; quantity: number }, call: CallContext): Promise<CartResult> {
    const { customerId, sku, quantity } = parseInput(cartAddSchema, { customerId: input.customerId, sku: input.sku, quantity: input.quantity });
    return this.withCart(customerId, call, 'add', async (cartId) => {
      const data = await this.options.transport.execute<{
        addProductsToCart: { cart: RawCart; user_errors: ({ code: string; message: string } | null)[] } | null;
      }>({
        query: this.options.operations.addProductsToCart,
        variables: { cartId, cartItems: [{ sku, quantity }] },
        kind: 'mutation',
        ...call,
      });
      const userErrors = (data.addProductsToCart?.user_errors ?? []).flatMap((error) => (error ? [error] : []));
      if (userErrors.length > 0) {
        throw new AppError('cart_error', userErrors[0]!.message, { code: userErrors[0]!.code, sku, quantity, userErrors });
      }
      return data.addProductsToCart?.cart ?? null;
    });
  }

  async update(input: { customerId: string; uid: string; quantity: number }, call: CallContext): Promise<CartResult> {
    const { customerId, uid, quantity } = parseInput(cartUpdateSchema, { customerId: input.customerId, uid: input.uid, quantity: input.quantity });
    return this.withCart(customerId, call, 'change', (cartId) =>
      this.options.transport
        .execute<{ updateCartItems: { cart: RawCart } | null }>({
          query: this.options.operations.updateCartItems,
          variables: { cartId, uid, quantity },
          kind: 'mutation',
          ...call,
        })
        .then((data) => data.updateCartItems?.cart ?? null),
    );
  }

  async remove(input: { customerId: string; uid: string }, call: CallContext): Promise<CartResult> {
    const { customerId, uid } = parseInput(cartRemoveSchema, { customerId: input.customerId, uid: input.uid });
    return this.withCart(customerId, call, 'change', (cartId) =>
      this.options.transport
        .execute<{ removeItemFromCart: { cart: RawCart } | null }>({
          query: this.options.operations.removeItemFromCart,
          variables: { cartId, uid },
          kind: 'mutation',
          ...call,
        })
        .then((data) => data.removeItemFromCart?.cart ?? null),
    );
  }

  /**
   * Runs `operation` on the customer's cart. A cart the store lost is replaced by a new one and the
   * answer says `recreated: true`. An add then runs on the new cart; changing a line of the lost cart
   * cannot, so a `change` answers with the new, empty cart. Adds and changes emit `cartChanged`.
   */
  private withCart(
    customerId: string,
    call: CallContext,
    kind: CartOperationKind,
    operation: (cartId: string) => Promise<RawCart | null>,
  ): Promise<CartResult> {
    const previous = this.queues.get(customerId) ?? Promise.resolve();
    const run = previous.then(async (): Promise<CartResult> => {
      const stored = this.options.cartIds.get(customerId);
      let cartId = stored ?? (await this.createCart(customerId, call));
      let recreated = false;
      let raw: RawCart | null;
      try {
        raw = await operation(cartId);
      } catch (error) {
        if (!(stored && error instanceof AppError && error.code === 'store_not_found' && CART_LOST.test(error.message))) throw error;
        this.options.logger.warn({ operation: kind }, 'the store lost a cart; a new one is created (the answer says recreated)');
        cartId = await this.createCart(customerId, call);
        recreated = true;
        raw = kind === 'add' ? await operation(cartId) : await this.fetchCart(cartId, call);
      }
      if (!raw) throw new AppError('store_error', 'The store answered without the cart');
      const result: CartResult = { cart: shapeCart(raw, this.options.mmExtensions), recreated };
      if (recreated || kind !== 'read') this.options.events.emit('cartChanged', { customerId, cart: result.cart, recreated });
      return result;
    });
    // The queue only orders the customer's operations; the failure reaches the caller through `run`.
    const settled = run.catch(() => undefined);
    this.queues.set(customerId, settled);
    void settled.then(() => {
      if (this.queues.get(customerId) === settled) this.queues.delete(customerId);
    });
    return run;
  }

  private async fetchCart(cartId: string, call: CallContext): Promise<RawCart | null> {
    const data = await this.options.transport.execute<{ cart: RawCart | null }>({
      query: this.options.operations.cart,
      variables: { cartId },
      kind: 'query',
      ...call,
    });
    return data.cart;
  }

  /** A new guest cart (`createGuestCart`, or `createEmptyCart` on stores older than 2.4.7), remembered for the customer. */
  private async createCart(customerId: string, call: CallContext): Promise<string> {
    let cartId: string | null | undefined;
    if (!this.legacyCartCreation) {
      try {
        const data = await this.options.transport.execute<{ createGuestCart: { cart: { id: string } | null } | null }>({
          query: this.options.operations.createGuestCart,
          kind: 'mutation',
          ...call,
        });
        cartId = data.createGuestCart?.cart?.id;
      } catch (error) {
        if (!(error instanceof AppError && NO_CREATE_GUEST_CART.test(error.message))) throw error;
        this.options.logger.info('the store has no createGuestCart (older than Magento 2.4.7); carts are created with createEmptyCart');
        this.legacyCartCreation = true;
      }
    }
    if (this.legacyCartCreation) {
      const data = await this.options.transport.execute<{ createEmptyCart: string | null }>({
        query: this.options.operations.createEmptyCart,
        kind: 'mutation',
        ...call,
      });
      cartId = data.createEmptyCart;
    }
    if (!cartId) throw new AppError('cart_error', 'The store did not create a cart');
    this.options.cartIds.set(customerId, cartId);
    return cartId;
  }
}
