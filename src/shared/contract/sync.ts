import { z } from 'zod';
import { channel, event } from './define';

/**
 * Why the last sync failed, as a code the renderer puts in the staff's language:
 * - `hub_unreachable`: no answer from the hub (network, hub down); changes wait in the outbox.
 * - `token_refused`: the hub no longer accepts this desk's token (revoked): enroll again.
 * - `token_missing`: this desk is enrolled but its token is not available (the bridge keeps it in memory only): enroll again.
 * - `hub_error`: the hub answered with a fault of its own; tried again later.
 * - `changes_refused`: the hub refused some changes for good; they were set aside (`rejected`).
 * - `storage`: this desk's data file refused a change from the hub (full, damaged, read-only).
 * - `hub_restored`: the hub had lost changes this desk had synced (its database was restored from a
 *   backup, or replaced); this desk pulled everything again and sent what it has again.
 */
export const syncProblems = ['hub_unreachable', 'token_refused', 'token_missing', 'hub_error', 'changes_refused', 'storage', 'hub_restored'] as const;
export type SyncProblem = (typeof syncProblems)[number];

/** This desk's link with its hub, as Settings › Sync shows it. */
export interface SyncStatus {
  enrolled: boolean;
  /** The hub's address (origin), null when not enrolled. */
  hubUrl: string | null;
  /** This desk's name and store as the hub knows them ("Quầy 3", "b2c_10010_vi"). */
  deskName: string | null;
  store: string | null;
  /** The last call reached the hub (or the live stream is open). */
  online: boolean;
  /** When a push or pull last reached the hub (epoch ms). */
  lastSyncAt: number | null;
  /** Changes made here that the hub has not taken yet. */
  pending: number;
  /** Changes the hub refused for good (set aside, not retried). */
  rejected: number;
  lastError: { code: SyncProblem; at: number } | null;
  /**
   * Grows each time the status changes (and across restarts): an answer and a `sync.changed`
   * event can cross on their ways to the renderer, which keeps the one with the greater revision.
   */
  revision: number;
}

/** An enrollment code as `npm run hub -- enroll` prints it (ABCD-EFGH-JKLM); case, spaces and dashes as typed. */
export const enrollmentCodeSchema = z.string().transform((value, context) => {
  const compact = value.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[A-Z0-9]{12}$/.test(compact)) {
    context.addIssue({ code: 'custom', message: 'not an enrollment code: 12 letters or digits, as ABCD-EFGH-JKLM' });
    return z.NEVER;
  }
  return `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8)}`;
});

const empty = z.object({}).strict();

export const syncChannels = {
  'sync.status': channel<SyncStatus>()(empty),
  /** Exchanges a one-time code for this desk's token; `https://` unless the hub is on this machine. */
  'sync.enroll': channel<SyncStatus>()(
    z.object({ hubUrl: z.string().trim().min(1, 'hub address is empty').max(2000), code: enrollmentCodeSchema }).strict(),
  ),
  /** Pushes what waits and pulls what is new, now; answers when done (or failed: see `lastError`). */
  'sync.now': channel<SyncStatus>()(empty),
  /** Forgets the token and the desk's sync state; the data on this desk stays. */
  'sync.leave': channel<SyncStatus>()(empty),
};

export const syncEvents = {
  'sync.changed': event<SyncStatus>(),
};
