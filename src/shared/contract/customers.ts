import { z } from 'zod';
import { canonicalDisplayName, canonicalMembershipNumber, canonicalPhone, customerIdentitySchema, type CanonicalField } from '../identity';
import { channel } from './define';
import type { LearnedAt } from './memory';

/** What staff know about a customer, kept so the desk can find them by any of it and show "Chị Lan · 0901 234 567". */
export interface CustomerRecord {
  /** The canonical customer id: what memory, sessions and carts key on. */
  customerId: string;
  /** As staff typed it (NFC, trimmed), or null. */
  displayName: string | null;
  /** Canonical national form ("0901234567"), or null. */
  phone: string | null;
  /** Lower-case, or null. */
  membershipNumber: string | null;
  createdAt: number;
  updatedAt: number;
  /** Where another desk last changed it, through the sync hub; null or absent when changed at this desk. */
  learnedAt?: LearnedAt | null;
}

export const CUSTOMER_FIND_MAX_LIMIT = 50;
export const CUSTOMER_FIND_DEFAULT_LIMIT = 10;

/** A record field in a request: put in its one form (`@shared/identity`) or refused with the problem named; null clears it. */
function recordField(canonical: (input: string) => CanonicalField) {
  return z
    .string()
    .transform((value, context) => {
      const result = canonical(value);
      if (result.ok) return result.value;
      context.addIssue({ code: 'custom', message: result.message, params: { problem: result.problem } });
      return z.NEVER;
    })
    .nullable()
    .optional();
}

export const customerChannels = {
  /** Records whose name (accents optional), phone (any spelling), membership number or id matches, best first. */
  'customers.find': channel<CustomerRecord[]>()(
    z
      .object({
        query: z.string().min(1, 'query is empty').max(128, 'query is longer than 128 characters'),
        limit: z.number().int().min(1).max(CUSTOMER_FIND_MAX_LIMIT).optional(),
      })
      .strict(),
  ),
  'customers.get': channel<CustomerRecord | null>()(z.object({ customerId: customerIdentitySchema }).strict()),
  /** Creates the record on first use; a field left out is kept, null clears it. */
  'customers.save': channel<CustomerRecord>()(
    z
      .object({
        customerId: customerIdentitySchema,
        displayName: recordField(canonicalDisplayName),
        phone: recordField(canonicalPhone),
        membershipNumber: recordField(canonicalMembershipNumber),
      })
      .strict(),
  ),
};
