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
import { Statements } from '../statements';

interface CustomerRow {
  id: string;
  display_name: string | null;
  name_folded: string | null;
  phone: string | null;
  membership_number: string | null;
  created_at: number;
  updated_at: number;
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
  };
}

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
        };
        this.statements
          .get<[CustomerRow]>(
            `INSERT INTO customers (id, display_name, name_folded, phone, membership_number, created_at, updated_at)
             VALUES (@id, @display_name, @name_folded, @phone, @membership_number, @created_at, @updated_at)
             ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, name_folded = excluded.name_folded,
               phone = excluded.phone, membership_number = excluded.membership_number, updated_at = excluded.updated_at`,
          )
          .run(row);
        return recordOf(row);
      })
      .immediate();
  }

  /** Deletes the customer's record, inside the caller's transaction (erasing the customer's data). */
  erase(customerId: string): number {
    return this.statements.get<[string]>('DELETE FROM customers WHERE id = ?').run(customerId).changes;
  }

  private row(id: string): CustomerRow | undefined {
    return this.statements.get<[string], CustomerRow>('SELECT * FROM customers WHERE id = ?').get(id);
  }
}
