import { z } from 'zod';

/**
 * One customer, one id. What staff type for a customer ("0901 234 567", "+84 901 234 567",
 * "KH-001", " kh-001 ") becomes one canonical id, used as the key by memory, sessions, carts and
 * the cart-id table, on both sides of the contract (the renderer canonicalises before it stores a
 * customer, the main process when a request arrives).
 *
 * Rules, in order:
 * 1. Well-formed UTF-16 only (a lone surrogate is refused: SQLite would store it as U+FFFD and two
 *    different ids would meet).
 * 2. Unicode NFC, so "ệ" typed as one code point or as e + two marks is one id.
 * 3. No control (Cc) or format (Cf) characters: zero-width and bidi-override characters make two
 *    ids look alike on screen.
 * 4. Whitespace trimmed, and runs of whitespace collapsed to one space.
 * 5. A Vietnamese phone number in any common form — spaces, dots, dashes, brackets, `+84`, `84`
 *    or `0` in front — becomes its national form with a leading 0: "+84 (90) 123-4567" →
 *    "0901234567". Mobile numbers have 9 digits after the 0, landlines 10.
 * 6. A membership number or customer code (letters, digits and `-_./:#`, no spaces) is
 *    lower-cased, so "KH-001" and "kh-001" are one customer. Anything else (a name such as
 *    "Chị Lan") keeps the case staff typed: it is how the desk shows the customer.
 * 7. At most 128 characters.
 */
export const CUSTOMER_ID_MAX_LENGTH = 128;

export type CustomerIdKind = 'phone' | 'other';
export type CustomerIdProblem = 'empty' | 'too_long' | 'malformed_utf16' | 'control_character' | 'format_character';

export type CanonicalCustomerId = { ok: true; id: string; kind: CustomerIdKind } | { ok: false; problem: CustomerIdProblem; message: string };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL = /\p{Cc}/u;
const FORMAT = /\p{Cf}/u;
const PHONE_SEPARATORS = /[\s.\-()]/g;
const PHONE = /^(?:\+84|84|0)(\d{9,10})$/;
const CODE = /^[A-Za-z0-9\-_./:#]+$/;

const messages: Record<CustomerIdProblem, string> = {
  empty: 'The customer id is empty.',
  too_long: `The customer id is longer than ${CUSTOMER_ID_MAX_LENGTH} characters.`,
  malformed_utf16: 'The customer id contains a broken character (a lone UTF-16 surrogate).',
  control_character: 'The customer id contains a control character.',
  format_character: 'The customer id contains an invisible formatting character (zero-width or text-direction).',
};

/** Already canonical and plainly not a phone number: a lower-case code (the common case, checked on every memory call). */
const CANONICAL_CODE = /^[a-z][a-z0-9\-_./:#]{0,127}$/;

export function canonicalCustomerId(input: string): CanonicalCustomerId {
  if (CANONICAL_CODE.test(input)) return { ok: true, id: input, kind: 'other' };
  const refuse = (problem: CustomerIdProblem): CanonicalCustomerId => ({ ok: false, problem, message: messages[problem] });
  if (LONE_SURROGATE.test(input)) return refuse('malformed_utf16');
  // Tabs and line breaks are whitespace to collapse, not controls to refuse; a byte-order mark or any
  // other format character is refused even where JavaScript counts it as whitespace.
  const normalized = input.normalize('NFC').replace(/[\t\n\v\f\r]/g, ' ');
  if (CONTROL.test(normalized)) return refuse('control_character');
  if (FORMAT.test(normalized)) return refuse('format_character');
  const collapsed = normalized.replace(/\s+/g, ' ').trim();
  if (collapsed === '') return refuse('empty');
  const phone = PHONE.exec(collapsed.replace(PHONE_SEPARATORS, ''));
  if (phone && /^[\d\s.\-()+]+$/.test(collapsed)) return { ok: true, id: `0${phone[1]!}`, kind: 'phone' };
  const id = CODE.test(collapsed) ? collapsed.toLowerCase() : collapsed;
  if (id.length > CUSTOMER_ID_MAX_LENGTH) return refuse('too_long');
  return { ok: true, id, kind: 'other' };
}

/** A customer id in a request: canonicalised, or refused with the problem named. */
export const customerIdentitySchema = z.string().transform((value, context) => {
  const canonical = canonicalCustomerId(value);
  if (canonical.ok) return canonical.id;
  context.addIssue({ code: 'custom', message: canonical.message, params: { problem: canonical.problem } });
  return z.NEVER;
});

export type KeyProblem = 'empty' | 'malformed_utf16' | 'control_character' | 'format_character';

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * A memory key under the same well-formedness rules as a customer id: well-formed UTF-16, NFC,
 * no control or format characters (tabs and line breaks included: a key is one line). Case and
 * spaces are kept as written. Plain ASCII keys, the usual ones, take the short path.
 */
export function canonicalMemoryKey(input: string): { ok: true; key: string } | { ok: false; problem: KeyProblem; message: string } {
  if (PRINTABLE_ASCII.test(input)) return { ok: true, key: input };
  if (input.length === 0) return { ok: false, problem: 'empty', message: 'The key is empty.' };
  if (LONE_SURROGATE.test(input))
    return { ok: false, problem: 'malformed_utf16', message: 'The key contains a broken character (a lone UTF-16 surrogate).' };
  const key = input.normalize('NFC');
  if (CONTROL.test(key)) return { ok: false, problem: 'control_character', message: 'The key contains a control character or a line break.' };
  if (FORMAT.test(key)) return { ok: false, problem: 'format_character', message: 'The key contains an invisible formatting character.' };
  return { ok: true, key };
}

/*
 * What a customer record keeps besides the id (`customers.*`): a display name as staff typed it,
 * a phone, a membership number. Each is checked and put in one form here, for the contract, the
 * main process and the renderer alike.
 */

export const DISPLAY_NAME_MAX_LENGTH = 80;

export type CustomerField = 'displayName' | 'phone' | 'membershipNumber';
export type CustomerFieldProblem = CustomerIdProblem | 'not_a_phone' | 'not_a_code';
export type CanonicalField = { ok: true; value: string } | { ok: false; problem: CustomerFieldProblem; message: string };

const fieldLabels: Record<CustomerField, string> = {
  displayName: 'The display name',
  phone: 'The phone number',
  membershipNumber: 'The membership number',
};
const fieldMessages: Record<CustomerFieldProblem, string> = {
  empty: 'is empty.',
  too_long: 'is too long.', // with the limit, in `refuseField`
  malformed_utf16: 'contains a broken character (a lone UTF-16 surrogate).',
  control_character: 'contains a control character.',
  format_character: 'contains an invisible formatting character (zero-width or text-direction).',
  not_a_phone: 'is not a Vietnamese phone number.',
  not_a_code: 'may hold only letters, digits and - _ . / : #.',
};
const refuseField = (field: CustomerField, problem: CustomerFieldProblem): CanonicalField => ({
  ok: false,
  problem,
  message: `${fieldLabels[field]} ${problem === 'too_long' ? `is longer than ${field === 'displayName' ? DISPLAY_NAME_MAX_LENGTH : CUSTOMER_ID_MAX_LENGTH} characters.` : fieldMessages[problem]}`,
});

/** A display name ("Chị Lan"): well-formed, NFC, one line, whitespace trimmed and collapsed, at most DISPLAY_NAME_MAX_LENGTH characters; case kept. */
export function canonicalDisplayName(input: string): CanonicalField {
  if (LONE_SURROGATE.test(input)) return refuseField('displayName', 'malformed_utf16');
  const normalized = input.normalize('NFC').replace(/[\t\n\v\f\r]/g, ' ');
  if (CONTROL.test(normalized)) return refuseField('displayName', 'control_character');
  if (FORMAT.test(normalized)) return refuseField('displayName', 'format_character');
  const name = normalized.replace(/\s+/g, ' ').trim();
  if (name === '') return refuseField('displayName', 'empty');
  if (name.length > DISPLAY_NAME_MAX_LENGTH) return refuseField('displayName', 'too_long');
  return { ok: true, value: name };
}

/** A phone number in any form `canonicalCustomerId` reads as one, in its national form ("0901234567"). */
export function canonicalPhone(input: string): CanonicalField {
  const canonical = canonicalCustomerId(input);
  if (canonical.ok && canonical.kind === 'phone') return { ok: true, value: canonical.id };
  return refuseField('phone', canonical.ok ? 'not_a_phone' : canonical.problem);
}

/** A membership number: a code (letters, digits and `-_./:#`, trimmed), lower-cased as customer ids are. */
export function canonicalMembershipNumber(input: string): CanonicalField {
  const code = input.trim();
  if (code === '') return refuseField('membershipNumber', 'empty');
  if (!CODE.test(code)) return refuseField('membershipNumber', 'not_a_code');
  if (code.length > CUSTOMER_ID_MAX_LENGTH) return refuseField('membershipNumber', 'too_long');
  return { ok: true, value: code.toLowerCase() };
}

/** A customer id that staff typed as a person's name ("Chị Lan"): it holds a space or a letter outside ASCII. */
export function looksLikePersonName(customerId: string): boolean {
  return /\s|(?![A-Za-z])\p{L}/u.test(customerId);
}

/** A canonical phone as staff read it aloud: "0901234567" → "0901 234 567", "02838123456" → "028 3812 3456"; anything else unchanged. */
export function formatPhone(phone: string): string {
  if (/^0\d{9}$/.test(phone)) return `${phone.slice(0, 4)} ${phone.slice(4, 7)} ${phone.slice(7)}`;
  if (/^0\d{10}$/.test(phone)) return `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
  return phone;
}

/** How the desk names a customer: "Chị Lan · 0901 234 567", the name alone, the phone alone, else the id. */
export function customerLabel(record: { customerId: string; displayName: string | null; phone: string | null }): string {
  const phone = record.phone === null ? null : formatPhone(record.phone);
  if (record.displayName !== null && phone !== null) return `${record.displayName} · ${phone}`;
  return record.displayName ?? phone ?? record.customerId;
}
