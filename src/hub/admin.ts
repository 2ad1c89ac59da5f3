import crypto from 'node:crypto';
import type pg from 'pg';
import type { EnrollResponse } from '@shared/sync';
import { inTransaction } from './database';
import { HubError } from './errors';

/**
 * Desks and trust: one-time enrollment codes, device tokens, listing and revoking. The hub keeps
 * only sha256 hashes of codes and tokens, so a copy of its database lets nobody in.
 */

export const DEFAULT_ENROLL_TTL_MS = 24 * 60 * 60 * 1000;

/** Unambiguous letters and digits (no I, O, 0, 1): 32 symbols, so a byte maps without bias. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function sha256Hex(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `XXXX-XXXX-XXXX`: 60 random bits, typed by hand at a desk. */
export function newEnrollmentCode(): string {
  const bytes = crypto.randomBytes(12);
  const chars = [...bytes].map((byte) => CODE_ALPHABET[byte % 32]!);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4, 8).join('')}-${chars.slice(8).join('')}`;
}

export interface EnrollOptions {
  store: string;
  deskName: string;
  ttlMs?: number;
  now?: number;
}

/** Creates a desk and its one-time code; returns the code (shown once, stored only as a hash). */
export async function createEnrollment(db: pg.Pool, options: EnrollOptions): Promise<{ deskId: string; code: string; expiresAt: Date }> {
  const store = options.store.trim();
  const deskName = options.deskName.trim();
  if (!store || store.length > 64) throw new HubError('invalid_request', 'The store code must be 1 to 64 characters.');
  if (!deskName || deskName.length > 80) throw new HubError('invalid_request', 'The desk name must be 1 to 80 characters.');
  const ttlMs = options.ttlMs ?? DEFAULT_ENROLL_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new HubError('invalid_request', 'The code must live for a positive time.');
  const now = options.now ?? Date.now();
  const deskId = crypto.randomUUID();
  const code = newEnrollmentCode();
  const expiresAt = new Date(now + ttlMs);
  await inTransaction(db, async (client) => {
    await client.query('INSERT INTO desks (id, store, name, created_at) VALUES ($1, $2, $3, $4)', [deskId, store, deskName, new Date(now)]);
    await client.query('INSERT INTO enrollment_codes (code_hash, desk_id, expires_at) VALUES ($1, $2, $3)', [sha256Hex(code), deskId, expiresAt]);
    await client.query("INSERT INTO audit (at, desk_id, action) VALUES ($1, $2, 'desk.created')", [new Date(now), deskId]);
  });
  return { deskId, code, expiresAt };
}

/**
 * Exchanges a code for a device token, once. Unknown, used, expired and revoked codes get the same
 * answer, so a guesser learns nothing.
 */
export async function redeemEnrollment(db: pg.Pool, code: string, now: number): Promise<EnrollResponse> {
  const token = crypto.randomBytes(32).toString('hex');
  const result = await db.query<{ id: string; name: string; store: string }>(
    `WITH used AS (
       UPDATE enrollment_codes SET used_at = $2
        WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
        RETURNING desk_id)
     UPDATE desks SET token_hash = $3, enrolled_at = $2
       FROM used
      WHERE desks.id = used.desk_id AND desks.revoked_at IS NULL AND desks.token_hash IS NULL
      RETURNING desks.id, desks.name, desks.store`,
    [sha256Hex(code), new Date(now), sha256Hex(token)],
  );
  const desk = result.rows[0];
  if (!desk) throw new HubError('enrollment_invalid', 'This enrollment code is unknown, already used or expired. Ask for a new one.');
  await db.query("INSERT INTO audit (at, desk_id, action) VALUES ($1, $2, 'desk.enrolled')", [new Date(now), desk.id]);
  return { deskId: desk.id, deskName: desk.name, store: desk.store, token };
}

export interface AuthenticatedDesk {
  id: string;
  name: string;
  store: string;
}

/**
 * The desk behind a bearer token, or null (unknown or revoked). Marks it seen, at most once a
 * minute, in the same statement.
 */
export async function authenticate(db: pg.Pool, token: string, now: number): Promise<AuthenticatedDesk | null> {
  if (!/^[0-9a-f]{64}$/.test(token)) return null;
  const result = await db.query<AuthenticatedDesk>(
    `WITH desk AS (
       SELECT id, name, store, last_seen_at FROM desks WHERE token_hash = $1 AND revoked_at IS NULL),
     seen AS (
       UPDATE desks SET last_seen_at = $2 FROM desk
        WHERE desks.id = desk.id AND (desk.last_seen_at IS NULL OR desk.last_seen_at < $2::timestamptz - interval '1 minute')
        RETURNING 1)
     SELECT id, name, store FROM desk`,
    [sha256Hex(token), new Date(now)],
  );
  return result.rows[0] ?? null;
}

export interface DeskRow {
  id: string;
  store: string;
  name: string;
  createdAt: Date;
  enrolledAt: Date | null;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
}

export async function listDesks(db: pg.Pool): Promise<DeskRow[]> {
  const result = await db.query<DeskRow>(
    `SELECT id, store, name, created_at AS "createdAt", enrolled_at AS "enrolledAt", last_seen_at AS "lastSeenAt", revoked_at AS "revokedAt"
       FROM desks ORDER BY store, name, created_at`,
  );
  return result.rows;
}

/** Revokes a desk's token (and its unused code): every later request with it is refused. False when no such desk. */
export async function revokeDesk(db: pg.Pool, deskId: string, now = Date.now()): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(deskId)) return false;
  const result = await db.query(
    `WITH revoked AS (UPDATE desks SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING id),
     codes AS (UPDATE enrollment_codes SET used_at = COALESCE(used_at, $2) WHERE desk_id IN (SELECT id FROM revoked) RETURNING 1),
     audited AS (INSERT INTO audit (at, desk_id, action) SELECT $2, id, 'desk.revoked' FROM revoked RETURNING 1)
     SELECT id FROM revoked`,
    [deskId, new Date(now)],
  );
  return (result.rowCount ?? 0) > 0;
}
