import { create } from 'zustand';
import type { Cart, CartChanged, CartLine, CartResult } from '@shared/commerce';
import type { ErrorCode } from '@shared/errors';
import { ApiError, call } from '../api/client';

/**
 * `synced`: the cart shown is what the store answered last (a read, or the cart a change returned).
 * `stale`: something happened after which the cart shown may no longer be the store's (the store
 * settings changed, the connection came back, the store said a line or the cart is missing); a
 * read is on its way. `syncing`: a change or a read is on its way. `failed`: the last call failed.
 */
export type SyncState = 'idle' | 'syncing' | 'stale' | 'synced' | 'failed';

/** Why the cart was read again without staff asking: shown next to the sync badge. */
export type ResyncReason = 'store_changed' | 'reconnected' | 'missing';

/** A line the pane showed that the store no longer has (found when a change of it was refused). */
export interface MissingLine {
  uid: string;
  sku: string;
  name: string;
  quantity: number;
}

/** A line removed a moment ago, which "Hoàn tác" adds back. */
export interface RemovedLine {
  sku: string;
  name: string;
  quantity: number;
  /** Where it was in the list, so focus can go to its neighbour. */
  index: number;
}

interface CartState {
  customerId: string | null;
  cart: Cart | null;
  sync: SyncState;
  /** When the cart shown was last confirmed by the store. */
  syncedAt: number | null;
  /** The code of the last failure (shown in the staff's language), or null. */
  error: ErrorCode | null;
  recreated: boolean;
  resyncReason: ResyncReason | null;
  missing: MissingLine[];
  removed: RemovedLine | null;
  /** The last change that failed (not a missing line), so "Thử lại" can run it again; null: "Thử lại" reads the cart. */
  failed: (() => Promise<CartResult>) | null;
  load(customerId: string | null): Promise<void>;
  /** Reads the store's cart again, keeping the lines on screen meanwhile (marked as not confirmed). */
  resync(reason: ResyncReason | null): Promise<void>;
  add(sku: string, quantity: number): Promise<void>;
  update(uid: string, quantity: number): Promise<void>;
  remove(uid: string): Promise<void>;
  /** Adds back the line removed last. */
  undoRemove(): Promise<void>;
  dismissRemoved(): void;
  dismissRecreated(): void;
  /** Adds a missing line again, with the quantity it had. */
  addBack(uid: string): Promise<void>;
  dismissMissing(uid: string): void;
  retry(): Promise<void>;
  receive(change: CartChanged): void;
}

const errorCode = (error: unknown): ErrorCode => (error instanceof ApiError ? error.code : 'internal');

/** The store's answer when a line or the cart it names is gone (e.g. "Could not find cart item with id: Mg=="). */
const isMissing = (code: ErrorCode) => code === 'store_not_found' || code === 'not_found';

/** The current customer's cart as the store has it; every change goes to the store first. */
export const useCartStore = create<CartState>()((set, get) => {
  /** Only the newest call's answer is shown: an older read answering late never overwrites a newer one. */
  let seq = 0;

  function accept(result: CartResult, extra: Partial<CartState> = {}): void {
    performance.mark('mm:cart-data'); // for the ui benchmark: render time after data arrives
    const uids = new Set(result.cart.lines.map((line) => line.uid));
    const skus = new Set(result.cart.lines.map((line) => line.sku));
    set({
      ...extra,
      cart: result.cart,
      sync: 'synced',
      syncedAt: Date.now(),
      recreated: result.recreated || get().recreated,
      error: null,
      failed: null,
      // A missing line the store has again (added back, or by the assistant) is no longer missing.
      missing: get().missing.filter((line) => !uids.has(line.uid) && !skus.has(line.sku)),
    });
  }

  async function run(
    customerId: string,
    operation: () => Promise<CartResult>,
    line?: CartLine,
    after: (result: CartResult) => Partial<CartState> = () => ({}),
  ): Promise<void> {
    const mine = ++seq;
    set({ sync: 'syncing', error: null });
    try {
      const result = await operation();
      if (get().customerId !== customerId) return;
      // The change's own `cart.changed` may have shown this cart already (and anything newer): keep only what the answer adds.
      if (mine !== seq) set(after(result));
      else accept(result, { resyncReason: null, ...after(result) });
    } catch (error) {
      if (get().customerId !== customerId || mine !== seq) return;
      const code = errorCode(error);
      if (isMissing(code)) {
        // The store no longer has the line (or the cart): what the pane shows is not the store's cart.
        // Read it again, and show a line that is gone as such, with what staff can do about it.
        if (line && !get().missing.some((item) => item.uid === line.uid)) {
          set({ missing: [...get().missing, { uid: line.uid, sku: line.sku, name: line.name, quantity: line.quantity }] });
        }
        await read(customerId, 'missing');
        return;
      }
      set({ sync: 'failed', error: code, failed: operation });
    }
  }

  async function read(customerId: string, reason: ResyncReason | null): Promise<void> {
    const mine = ++seq;
    set({ sync: get().cart ? 'stale' : 'syncing', error: null, resyncReason: reason });
    try {
      const result = await call('cart.get', { customerId });
      if (get().customerId !== customerId || mine !== seq) return;
      accept(result);
    } catch (error) {
      if (get().customerId !== customerId || mine !== seq) return;
      set({ sync: 'failed', error: errorCode(error), failed: null });
    }
  }

  const withCustomer = (
    operation: (customerId: string) => Promise<CartResult>,
    line?: CartLine,
    after?: (result: CartResult) => Partial<CartState>,
  ) => {
    const { customerId } = get();
    return customerId ? run(customerId, () => operation(customerId), line, after) : Promise.resolve();
  };
  const lineOf = (uid: string) => get().cart?.lines.find((line) => line.uid === uid);

  /** What the pane shows before a customer's cart is read. */
  const unread = (): Pick<CartState, 'cart' | 'sync' | 'syncedAt' | 'error' | 'recreated' | 'resyncReason' | 'missing' | 'removed' | 'failed'> => ({
    cart: null,
    sync: 'idle',
    syncedAt: null,
    error: null,
    recreated: false,
    resyncReason: null,
    missing: [],
    removed: null,
    failed: null,
  });

  return {
    customerId: null,
    ...unread(),
    async load(customerId) {
      seq++;
      set({ customerId, ...unread() });
      if (customerId) await read(customerId, null);
    },
    async resync(reason) {
      const { customerId } = get();
      if (customerId) await read(customerId, reason);
    },
    add: (sku, quantity) => withCustomer((customerId) => call('cart.add', { customerId, sku, quantity })),
    update: (uid, quantity) => withCustomer((customerId) => call('cart.update', { customerId, uid, quantity }), lineOf(uid)),
    async remove(uid) {
      const line = lineOf(uid);
      const index = get().cart?.lines.findIndex((item) => item.uid === uid) ?? -1;
      // "Đã xoá … · Hoàn tác" shows with the cart that no longer has the line, in the same update.
      await withCustomer(
        (customerId) => call('cart.remove', { customerId, uid }),
        line,
        (result) =>
          line && !result.cart.lines.some((item) => item.uid === uid)
            ? { removed: { sku: line.sku, name: line.name, quantity: line.quantity, index } }
            : {},
      );
    },
    async undoRemove() {
      const removed = get().removed;
      if (!removed) return;
      set({ removed: null });
      await withCustomer((customerId) => call('cart.add', { customerId, sku: removed.sku, quantity: removed.quantity }));
    },
    dismissRemoved: () => set({ removed: null }),
    dismissRecreated: () => set({ recreated: false }),
    async addBack(uid) {
      const line = get().missing.find((item) => item.uid === uid);
      if (!line) return;
      await withCustomer((customerId) => call('cart.add', { customerId, sku: line.sku, quantity: line.quantity }));
    },
    dismissMissing: (uid) => set({ missing: get().missing.filter((line) => line.uid !== uid) }),
    async retry() {
      const { failed, customerId } = get();
      if (!customerId) return;
      await (failed ? run(customerId, failed) : read(customerId, get().resyncReason));
    },
    receive(change) {
      if (change.customerId !== get().customerId) return;
      // A change made elsewhere (the assistant, another window) is the store's answer: newer than any call still on its way.
      seq++;
      accept({ cart: change.cart, recreated: change.recreated }, { resyncReason: null });
    },
  };
});
