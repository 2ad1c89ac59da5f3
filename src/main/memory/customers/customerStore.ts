import { CUSTOMER_FIND_DEFAULT_LIMIT, CUSTOMER_FIND_MAX_LIMIT, type CustomerRecord } from '@shared/contract/customers';
import { AppError } from '@shared/errors';
import {
  canonicalCustomerId,
  canonicalDisplayName,
  canonicalMembershipNumber,
  canonicalPhone,
  looksLikePersonName,
  type CanonicalField,
  type CustomerField,
  type CustomerIdKind,
} from '@shared/identity';
import { foldAccents } from '@shared/text';
import type { Clock } from '../../core/clock';
import type { Db } from '../../storage/database';
import { noChangeFeed, type ChangeFeed, type Origin, type SharedCustomer } from '../changeFeed';
import { Statements } from '../statements';

interface CustomerRow {
  id: string;
  display_name: string | null;
  name_folded: string | null;
  phone: string | null;
  membership_number: string | null;
  created_at: number;
  updated_at: number;
  /** Sync: the stamp of the last shared change, and where another desk made it (null: here). */
  hlc: string | null;
  origin_desk: string | null;
  origin_store: string | null;
  origin_at: number | null;
}

/** A save: the id, and each field to set (text), clear (null) or keep (left out). */
export interface CustomerSave {
  customerId: string;
  displayName?: string | null | undefined;
  phone?: string | null | undefined;
  membershipNumber?: string | null | undefined;
}

const canonicalOf: Record<CustomerField, (input: string) => CanonicalField> = {
  displayName: canonicalDisplayName,
  phone: canonicalPhone,
  membershipNumber: canonicalMembershipNumber,
};

/** `invalid_request` naming the field, with the same `details` dispatch gives when a schema refuses a request. */
function invalid(field: string, message: string): AppError {
  return new AppError('invalid_request', `${field}: ${message}`, [{ path: [field], code: 'custom', message }]);
}

function canonicalId(value: unknown, field: string): { id: string; kind: CustomerIdKind } {
  if (typeof value !== 'string') throw invalid(field, 'expected text');
  const canonical = canonicalCustomerId(value);
  if (!canonical.ok) throw invalid(field, canonical.message);
  return canonical;
}

/** `undefined` keeps the stored value, null clears it, text is checked and put in its one form. */
function fieldValue(field: CustomerField, value: unknown): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') throw invalid(field, 'expected text or null');
  const canonical = canonicalOf[field](value);
  if (!canonical.ok) throw invalid(field, canonical.message);
  return canonical.value;
}

/** `%`, `_` and the escape character itself, matched literally in a LIKE pattern with `ESCAPE '\'`. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

function recordOf(row: CustomerRow): CustomerRecord {
  return {
    customerId: row.id,
    displayName: row.display_name,
    phone: row.phone,
    membershipNumber: row.membership_number,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    // Left out (undefined) when the record was changed here.
    learnedAt: row.origin_desk === null ? undefined : { deskName: row.origin_desk, store: row.origin_store ?? '', at: row.origin_at ?? 0 },
  };
}

const UPSERT = `INSERT INTO customers (id, display_name, name_folded, phone, membership_number, created_at, updated_at, hlc, origin_desk, origin_store, origin_at)
  VALUES (@id, @display_name, @name_folded, @phone, @membership_number, @created_at, @updated_at, @hlc, @origin_desk, @origin_store, @origin_at)
  ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, name_folded = excluded.name_folded,
    phone = excluded.phone, membership_number = excluded.membership_number, updated_at = excluded.updated_at,
    hlc = excluded.hlc, origin_desk = excluded.origin_desk, origin_store = excluded.origin_store, origin_at = excluded.origin_at`;

/**
 * What staff know about each customer (`customers`): display name, phone, membership number, so
 * the desk can find a customer by any of them. A record is made the first time a customer is
 * saved, and goes with the rest of the customer's data (`data/customerData.ts`).
 */
export class CustomerStore {
  private readonly statements: Statements;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** Told about every created or changed record inside its transaction (sync's outbox). */
    private readonly feed: ChangeFeed = noChangeFeed,
  ) {
    this.statements = new Statements(db);
  }

  get(customerId: string): CustomerRecord | null {
    const row = this.row(canonicalId(customerId, 'customerId').id);
    return row ? recordOf(row) : null;
  }

  /**
   * Records matching what staff typed, whatever they typed: a phone in any spelling (its phone or
   * id), a membership number or id in any case, or a name with or without accents (a prefix or
   * any part of it). Exact matches first, then names starting with the query, then the rest; each
   * group most recently updated first.
   */
  find(query: string, limit: number = CUSTOMER_FIND_DEFAULT_LIMIT): CustomerRecord[] {
    if (typeof query !== 'string') throw invalid('query', 'expected text');
    if (!Number.isInteger(limit) || limit < 1 || limit > CUSTOMER_FIND_MAX_LIMIT) {
      throw invalid('limit', `expected a whole number from 1 to ${CUSTOMER_FIND_MAX_LIMIT}`);
    }
    const canonical = canonicalCustomerId(query);
    if (!canonical.ok) {
      if (canonical.problem === 'empty') return [];
      throw invalid('query', canonical.message.replace('The customer id', 'The query'));
    }
    if (canonical.kind === 'phone') {
      return this.statements
        .get<[string, string, number], CustomerRow>('SELECT * FROM customers WHERE phone = ? OR id = ? ORDER BY updated_at DESC, id LIMIT ?')
        .all(canonical.id, canonical.id, limit)
        .map(recordOf);
    }
    const folded = escapeLike(foldAccents(canonical.id));
    // Part of a phone number being typed ("0901 23"): phones starting with those digits.
    const digits = canonical.id.replace(/[\s.\-()]/g, '');
    const phonePrefix = /^0\d{2,}$/.test(digits) ? `${digits}%` : null;
    return this.statements
      .get<[{ id: string; starts: string; contains: string; phonePrefix: string | null; limit: number }], CustomerRow>(
        `SELECT * FROM customers
         WHERE id = @id OR membership_number = @id OR name_folded LIKE @contains ESCAPE '\\' OR phone LIKE @phonePrefix
         ORDER BY CASE WHEN id = @id OR membership_number = @id THEN 0 WHEN name_folded LIKE @starts ESCAPE '\\' THEN 1 ELSE 2 END,
           updated_at DESC, id
         LIMIT @limit`,
      )
      .all({ id: canonical.id, starts: `${folded}%`, contains: `%${folded}%`, phonePrefix, limit })
      .map(recordOf);
  }

  /**
   * Creates the customer's record, or changes the fields given (null clears one). Every field is
   * checked first: one bad field and nothing is written. A save that changes nothing writes
   * nothing. A new record whose id is a phone number has it as its phone, and one whose id was
   * typed as a person's name ("Chị Lan") has it as its name, unless the save says otherwise.
   */
  save(input: CustomerSave): CustomerRecord {
    if (input === null || typeof input !== 'object') throw invalid('customerId', 'expected {customerId, displayName?, phone?, membershipNumber?}');
    const { id, kind } = canonicalId(input.customerId, 'customerId');
    const displayName = fieldValue('displayName', input.displayName);
    const phone = fieldValue('phone', input.phone);
    const membershipNumber = fieldValue('membershipNumber', input.membershipNumber);
    const idIsPhone = kind === 'phone';
    return this.db
      .transaction((): CustomerRecord => {
        const existing = this.row(id);
        const next = {
          display_name:
            displayName === undefined ? (existing ? existing.display_name : !idIsPhone && looksLikePersonName(id) ? id : null) : displayName,
          phone: phone === undefined ? (existing ? existing.phone : idIsPhone ? id : null) : phone,
          membership_number: membershipNumber === undefined ? (existing?.membership_number ?? null) : membershipNumber,
        };
        if (
          existing &&
          existing.display_name === next.display_name &&
          existing.phone === next.phone &&
          existing.membership_number === next.membership_number
        ) {
          return recordOf(existing);
        }
        const now = this.clock.now();
        const row: CustomerRow = {
          id,
          ...next,
          name_folded: next.display_name === null ? null : foldAccents(next.display_name),
          created_at: existing?.created_at ?? now,
          updated_at: now,
          // Shared with the other desks (the outbox record commits with the row); learned here.
          hlc: this.feed.active
            ? this.feed.customerPut({ customerId: id, displayName: next.display_name, phone: next.phone, membershipNumber: next.membership_number })
            : null,
          origin_desk: null,
          origin_store: null,
          origin_at: null,
        };
        this.statements.get<[CustomerRow]>(UPSERT).run(row);
        return recordOf(row);
      })
      .immediate();
  }

  // ---- sync (memory/replica.ts) --------------------------------------------------------------

  /** The record's sync stamp: undefined without a record, null when it was never shared. */
  stamp(customerId: string): string | null | undefined {
    return this.statements.get<[string], { hlc: string | null }>('SELECT hlc FROM customers WHERE id = ?').get(customerId)?.hlc;
  }

  /**
   * Writes a record another desk changed (already checked by the hub and newer than this one's),
   * with its stamp and origin (null: a record of this desk kept through an erasure), inside the
   * caller's transaction; fields are stored as the hub has them.
   */
  applyShared(record: SharedCustomer, hlc: string, origin: Origin | null): void {
    const existing = this.row(record.customerId);
    const now = this.clock.now();
    this.statements.get<[CustomerRow]>(UPSERT).run({
      id: record.customerId,
      display_name: record.displayName,
      name_folded: record.displayName === null ? null : foldAccents(record.displayName),
      phone: record.phone,
      membership_number: record.membershipNumber,
      created_at: existing?.created_at ?? now,
      updated_at: now,
      hlc,
      origin_desk: origin?.deskName ?? null,
      origin_store: origin?.store ?? null,
      origin_at: origin?.at ?? null,
    });
  }

  /** Records in id order after `afterId` (sharing what a desk had before it joined a hub). */
  pageAfter(afterId: string, limit: number): (SharedCustomer & { hlc: string | null })[] {
    return this.statements
      .get<[string, number], CustomerRow>('SELECT * FROM customers WHERE id > ? ORDER BY id LIMIT ?')
      .all(afterId, limit)
      .map((row) => ({ customerId: row.id, displayName: row.display_name, phone: row.phone, membershipNumber: row.membership_number, hlc: row.hlc }));
  }

  /** Sets a record's stamp (it was just shared), inside the caller's transaction. */
  setStamp(customerId: string, hlc: string): void {
    this.statements.get<[string, string]>('UPDATE customers SET hlc = ? WHERE id = ?').run(hlc, customerId);
  }

  /** Deletes the customer's record, inside the caller's transaction (erasing the customer's data). */
  erase(customerId: string): number {
    return this.statements.get<[string]>('DELETE FROM customers WHERE id = ?').run(customerId).changes;
  }

  private row(id: string): CustomerRow | undefined {
    return this.statements.get<[string], CustomerRow>('SELECT * FROM customers WHERE id = ?').get(id);
  }
}
