import type { Db } from '../storage/database';

/** Where each customer's store cart id is kept between runs. */
export interface CartIdStore {
  get(customerId: string): string | null;
  set(customerId: string, cartId: string): void;
}

/** The app's store: one row per customer and store (endpoint + store view) in SQLite. */
export class SqliteCartIdStore implements CartIdStore {
  private readonly select;
  private readonly upsert;

  constructor(
    db: Db,
    private readonly store: string,
  ) {
    this.select = db.prepare<[string, string], { cart_id: string }>('SELECT cart_id FROM commerce_carts WHERE customer_id = ? AND store = ?');
    this.upsert = db.prepare<[string, string, string, number]>(
      `INSERT INTO commerce_carts (customer_id, store, cart_id, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (customer_id, store) DO UPDATE SET cart_id = excluded.cart_id, updated_at = excluded.updated_at`,
    );
  }

  get(customerId: string): string | null {
    return this.select.get(customerId, this.store)?.cart_id ?? null;
  }

  set(customerId: string, cartId: string): void {
    this.upsert.run(customerId, this.store, cartId, Date.now());
  }
}

/** Used when the data file could not be opened: carts last for this run only. */
export class MemoryCartIdStore implements CartIdStore {
  private readonly ids = new Map<string, string>();

  get(customerId: string): string | null {
    return this.ids.get(customerId) ?? null;
  }

  set(customerId: string, cartId: string): void {
    this.ids.set(customerId, cartId);
  }
}
