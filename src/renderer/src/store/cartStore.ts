import { create } from 'zustand';
import type { Cart, CartChanged, CartResult } from '@shared/commerce';
import { call } from '../api/client';

export type SyncState = 'idle' | 'syncing' | 'synced' | 'failed';

interface CartState {
  customerId: string | null;
  cart: Cart | null;
  sync: SyncState;
  error: string | null;
  recreated: boolean;
  /** The last change that failed, so "retry" can run it again. */
  failed: (() => Promise<CartResult>) | null;
  load(customerId: string | null): Promise<void>;
  add(sku: string, quantity: number): Promise<void>;
  update(uid: string, quantity: number): Promise<void>;
  remove(uid: string): Promise<void>;
  retry(): Promise<void>;
  receive(change: CartChanged): void;
}

/** The current customer's cart as the store has it; every change goes to the store first. */
export const useCartStore = create<CartState>()((set, get) => {
  async function run(customerId: string, operation: () => Promise<CartResult>): Promise<void> {
    set({ sync: 'syncing', error: null });
    try {
      const result = await operation();
      if (get().customerId !== customerId) return;
      performance.mark('mm:cart-data'); // for the ui benchmark: render time after data arrives
      set({ cart: result.cart, sync: 'synced', recreated: result.recreated, failed: null });
    } catch (error) {
      if (get().customerId !== customerId) return;
      set({ sync: 'failed', error: error instanceof Error ? error.message : String(error), failed: operation });
    }
  }
  const withCustomer = (operation: (customerId: string) => Promise<CartResult>) => {
    const { customerId } = get();
    return customerId ? run(customerId, () => operation(customerId)) : Promise.resolve();
  };
  return {
    customerId: null,
    cart: null,
    sync: 'idle',
    error: null,
    recreated: false,
    failed: null,
    async load(customerId) {
      set({ customerId, cart: null, sync: 'idle', error: null, recreated: false, failed: null });
      if (customerId) await run(customerId, () => call('cart.get', { customerId }));
    },
    add: (sku, quantity) => withCustomer((customerId) => call('cart.add', { customerId, sku, quantity })),
    update: (uid, quantity) => withCustomer((customerId) => call('cart.update', { customerId, uid, quantity })),
    remove: (uid) => withCustomer((customerId) => call('cart.remove', { customerId, uid })),
    async retry() {
      const { failed, customerId } = get();
      if (failed && customerId) await run(customerId, failed);
    },
    receive(change) {
      if (change.customerId !== get().customerId) return;
      set({ cart: change.cart, sync: 'synced', recreated: change.recreated || get().recreated, error: null, failed: null });
    },
  };
});
