import type { SyncProblem, SyncStatus } from '@shared/contract/sync';
import { AppError } from '@shared/errors';
import { SYNC_MAX_BATCH_BYTES, SYNC_MAX_BATCH_OPS, SYNC_MAX_PULL, type EnrollResponse, type PullResponse, type PushResponse } from '@shared/sync';
import type { Clock } from '../core/clock';
import { Emitter } from '../core/emitter';
import { errorFacts, type Logger } from '../core/logger';
import type { Replica } from '../memory';
import type { SecretStore } from '../settings/secretStore';
import type { Db } from '../storage/database';
import { Applier } from './apply';
import { HubCallError, HubClient, type HubClientOptions } from './hubClient';
import { canonicalHubUrl } from './hubUrl';
import type { Outbox, PendingOp } from './outbox';
import type { SyncState } from './state';

export interface SyncTimings {
  /** The pull timer: changes are pulled at least this often, live stream or not. */
  pullIntervalMs: number;
  /** A local change is pushed this long after it (changes made meanwhile go in the same batch). */
  pushDelayMs: number;
  /** Retries after a failure wait base × 2^n, at most max, with jitter (half to all of it). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Changes asked for per pull (the hub gives at most SYNC_MAX_PULL). */
  pullPageSize: number;
  hub: Partial<HubClientOptions>;
}

export const defaultSyncTimings: SyncTimings = {
  pullIntervalMs: 30_000,
  pushDelayMs: 10,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  pullPageSize: SYNC_MAX_PULL,
  hub: {},
};

export interface SyncServiceDeps {
  db: Db;
  state: SyncState;
  outbox: Outbox;
  replica: Replica;
  /** Where the device token is kept: the app's secrets (desktop: safeStorage; bridge: this process). */
  tokens: SecretStore;
  clock: Clock;
  logger: Logger;
  /** Called with the device token whenever it is loaded or received, so the log cuts it out. */
  addSecret: (value: string) => void;
  /** A change from the hub could not be written here: damage switches the app to safe mode. */
  onStorageError?: (error: unknown) => void;
  timings?: Partial<SyncTimings>;
  random?: () => number;
}

export type SyncServiceEvents = { changed: SyncStatus };

/** Bounds on each run of a loop (a run reschedules itself when there is more). */
const MAX_BATCHES_PER_RUN = 1000;
const MAX_PAGES_PER_RUN = 10_000;

/**
 * This desk's side of the sync protocol (src/shared/sync.ts): enrollment, the pusher (outbox →
 * hub, in batches, retried with backoff; a batch refused as malformed is split until the refused
 * ops are found and set aside), the puller (hub → this desk after the cursor, a page per
 * transaction, on start, on every live notification and on a timer) and the live stream
 * (reconnected with backoff). Its `events` say when the status changed.
 */
export class SyncService {
  readonly events = new Emitter<SyncServiceEvents>();
  private readonly timings: SyncTimings;
  private readonly applier: Applier;
  private readonly random: () => number;
  private client: HubClient | null = null;
  private token: string | null = null;
  private online = false;
  private closed = false;
  /** Aborts every call in flight (close, leave). */
  private calls = new AbortController();
  private pushRun: Promise<void> | null = null;
  private pushAgain = false;
  private pushSoon: (() => void) | null = null;
  private pushRetry: (() => void) | null = null;
  private pushFailures = 0;
  private pullRun: Promise<void> | null = null;
  private pullAgain = false;
  private pullRetry: (() => void) | null = null;
  private pullFailures = 0;
  private tick: (() => void) | null = null;
  private live: AbortController | null = null;
  private liveRetry: (() => void) | null = null;
  private liveFailures = 0;
  private lastEmitted = '';
  private enrolling = false;
  /** See `SyncStatus.revision`: from the start time, so it grows across restarts too. */
  private revision = Date.now() * 1000;

  constructor(private readonly deps: SyncServiceDeps) {
    this.timings = { ...defaultSyncTimings, ...deps.timings };
    this.random = deps.random ?? Math.random;
    this.applier = new Applier(deps.db, deps.replica, deps.outbox, deps.state, deps.logger);
  }

  /** Connects when this desk is enrolled and has its token; otherwise waits for `enroll`. */
  start(): void {
    const { state, tokens, logger } = this.deps;
    const hubUrl = state.get('hub_url');
    if (hubUrl === null || state.get('desk_id') === null) return;
    let token: string | null = null;
    try {
      token = tokens.get();
    } catch (error) {
      // The OS keychain refused to decrypt it: as good as missing, and said so in the status.
      logger.error({ err: errorFacts(error) }, 'the device token could not be read');
    }
    if (token === null) {
      this.problem('token_missing');
      logger.warn('enrolled with a hub but the device token is not available here; enroll again');
      return;
    }
    this.deps.addSecret(token);
    this.connect(hubUrl, token);
  }

  status(): SyncStatus {
    const { state, outbox } = this.deps;
    const hubUrl = state.get('hub_url');
    const enrolled = hubUrl !== null && state.get('desk_id') !== null;
    return {
      enrolled,
      hubUrl,
      deskName: state.get('desk_name'),
      store: state.get('store'),
      online: enrolled && this.online,
      lastSyncAt: state.number('last_sync_at'),
      pending: outbox.pending(),
      rejected: outbox.rejected(),
      lastError: this.lastError(),
      revision: this.revision,
    };
  }

  /** Exchanges a one-time code for this desk's token and starts syncing (what the desk kept before is shared too). */
  async enroll(hubUrlInput: string, code: string): Promise<SyncStatus> {
    if (this.closed) throw new AppError('closed', 'Sync is closing.');
    if (this.client !== null) throw new AppError('conflict', 'This desk is already enrolled with a hub: leave it first.');
    if (this.enrolling) throw new AppError('busy', 'This desk is enrolling already.');
    const hubUrl = canonicalHubUrl(hubUrlInput);
    this.enrolling = true;
    try {
      return await this.enrollWith(hubUrl, code);
    } finally {
      this.enrolling = false;
    }
  }

  private async enrollWith(hubUrl: string, code: string): Promise<SyncStatus> {
    const { state, outbox, tokens, logger } = this.deps;
    const probe = new HubClient(hubUrl, () => null, this.timings.hub);
    let enrolled: EnrollResponse;
    try {
      enrolled = await probe.enroll(code);
    } catch (error) {
      throw enrollmentError(error, hubUrl);
    } finally {
      await probe.close().catch((error: unknown) => logger.debug({ err: errorFacts(error) }, 'enrollment client did not close'));
    }
    if (!isEnrollment(enrolled))
      throw new AppError('sync_unavailable', `The hub at ${hubUrl} answered the enrollment with something else than a desk token.`);
    if (this.closed) throw new AppError('closed', 'Sync closed while the desk was enrolling; enroll again with a new code.');
    this.deps.addSecret(enrolled.token);
    try {
      tokens.set(enrolled.token);
    } catch (error) {
      logger.error({ err: errorFacts(error) }, 'the device token could not be stored');
      throw new AppError(
        'sync_unavailable',
        `The device token could not be stored safely on this computer: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.deps.db
      .transaction(() => {
        state.set('desk_id', enrolled.deskId);
        state.set('desk_name', enrolled.deskName);
        state.set('store', enrolled.store);
        state.set('hub_url', hubUrl);
        state.set('cursor', 0);
        state.set('cursor_op', null);
        state.set('resend_pending', null);
        state.set('last_error', null);
        outbox.setDesk(enrolled.deskId);
      })
      .immediate();
    logger.info({ hub: hubUrl, deskId: enrolled.deskId }, 'desk enrolled with the sync hub');
    // What this desk kept before it joined goes to the hub too (stamped now: it wins over older changes).
    const shared = this.deps.replica.shareExisting(outbox);
    if (shared.customers + shared.memories > 0) logger.info(shared, 'shared what the desk kept before it joined');
    this.calls = new AbortController();
    this.connect(hubUrl, enrolled.token);
    return this.emit();
  }

  /** Pushes what waits and pulls what is new, now (waiting backoffs are skipped); answers the status after. */
  async syncNow(): Promise<SyncStatus> {
    if (this.client === null) return this.status();
    this.clearRetries();
    this.pushFailures = 0;
    this.pullFailures = 0;
    await this.requestPush();
    await this.requestPull();
    if (this.live === null && this.liveRetry !== null) {
      this.liveRetry();
      this.liveRetry = null;
      this.openLive();
    }
    return this.emit();
  }

  /** Forgets the token and the desk's sync state (changes not pushed yet are dropped); the desk's data stays. */
  async leave(): Promise<SyncStatus> {
    const { state, outbox, tokens, logger } = this.deps;
    await this.disconnect();
    try {
      tokens.set(null);
    } catch (error) {
      logger.error({ err: errorFacts(error) }, 'the device token could not be removed');
    }
    this.deps.db
      .transaction(() => {
        for (const name of [
          'desk_id',
          'desk_name',
          'store',
          'hub_url',
          'cursor',
          'cursor_op',
          'resend_pending',
          'last_sync_at',
          'last_error',
        ] as const)
          state.set(name, null);
        outbox.setDesk(null);
      })
      .immediate();
    outbox.clear();
    this.calls = new AbortController();
    logger.info('desk left the sync hub');
    return this.emit();
  }

  /** Stops the timers and the live stream, aborts calls in flight and waits for the loops. */
  async close(): Promise<void> {
    this.closed = true;
    await this.disconnect();
  }

  /** Told by the outbox after each recorded change: a push soon, unless the hub is in backoff. */
  changeRecorded(): void {
    if (this.client === null || this.pushSoon !== null || this.pushRetry !== null || this.closed) return;
    this.pushSoon = this.deps.clock.schedule(() => {
      this.pushSoon = null;
      void this.requestPush();
    }, this.timings.pushDelayMs);
  }

  // ---- connection ---------------------------------------------------------------------------

  private connect(hubUrl: string, token: string): void {
    this.token = token;
    this.client = new HubClient(hubUrl, () => this.token, this.timings.hub);
    // A resend the last run did not finish (it stopped in the middle): done again, whole.
    if (this.deps.state.get('resend_pending') !== null) this.resendShared();
    this.scheduleTick();
    this.openLive();
    void this.requestPush();
    void this.requestPull();
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.token = null;
    this.clearRetries();
    this.pushSoon?.();
    this.pushSoon = null;
    this.tick?.();
    this.tick = null;
    this.liveRetry?.();
    this.liveRetry = null;
    this.live?.abort();
    this.live = null;
    this.calls.abort(new AppError('closed', 'Sync is closing.'));
    // The loops end at their next await (their calls were aborted); nothing they do can fail here.
    await Promise.allSettled([this.pushRun, this.pullRun].filter((run): run is Promise<void> => run !== null));
    this.online = false;
    if (client) await client.close().catch((error: unknown) => this.deps.logger.debug({ err: errorFacts(error) }, 'hub client did not close'));
  }

  private clearRetries(): void {
    this.pushRetry?.();
    this.pushRetry = null;
    this.pullRetry?.();
    this.pullRetry = null;
  }

  private scheduleTick(): void {
    this.tick = this.deps.clock.schedule(() => {
      this.tick = null;
      if (this.client === null || this.closed) return;
      this.scheduleTick();
      void this.requestPull();
      if (this.pushRetry === null) void this.requestPush();
    }, this.timings.pullIntervalMs);
  }

  private backoff(failures: number): number {
    const ceiling = Math.min(this.timings.retryMaxMs, this.timings.retryBaseMs * 2 ** Math.min(failures, 20));
    return Math.round(ceiling * (0.5 + this.random() * 0.5));
  }

  // ---- push ---------------------------------------------------------------------------------

  /** Runs the pusher now, or once more after the run in progress; resolves when that run is done. */
  private requestPush(): Promise<void> {
    if (this.pushRun) {
      this.pushAgain = true;
      return this.pushRun;
    }
    const run = (async () => {
      try {
        for (let round = 0; round < 100 && this.client !== null; round++) {
          this.pushAgain = false;
          await this.pushAll();
          if (!this.pushAgain || this.pushRetry !== null) break;
        }
      } catch (error) {
        this.deps.logger.error({ err: errorFacts(error) }, 'the pusher failed');
      } finally {
        this.pushRun = null;
      }
    })();
    this.pushRun = run;
    return run;
  }

  /** Sends the outbox in batches until it is empty, the hub is unreachable (retry later) or refuses the token. */
  private async pushAll(): Promise<void> {
    const { outbox, clock, logger, state } = this.deps;
    for (let batches = 0; batches < MAX_BATCHES_PER_RUN; batches++) {
      const client = this.client;
      if (client === null) return;
      const batch = fitBatch(outbox.batch(SYNC_MAX_BATCH_OPS));
      if (batch.length === 0) break;
      const outcome = await this.send(client, batch);
      if (outcome === 'stopped') return;
      if (outcome === 'retry') {
        this.pushFailures++;
        const delay = this.backoff(this.pushFailures);
        logger.warn({ failures: this.pushFailures, retryInMs: delay, pending: outbox.pending() }, 'changes could not be pushed; trying again later');
        this.pushRetry = clock.schedule(() => {
          this.pushRetry = null;
          void this.requestPush();
        }, delay);
        this.emit();
        return;
      }
      this.pushFailures = 0;
      state.set('last_sync_at', clock.now());
    }
    if (outbox.pending() > 0 && this.client !== null) this.pushAgain = true;
    this.emit();
  }

  /**
   * Pushes one batch. A batch the hub refuses whole as malformed, too large or over its quota is
   * split in halves until the refused ops are found; each of those is moved aside (`sync_rejected`)
   * so it cannot block the others.
   */
  private async send(client: HubClient, ops: readonly PendingOp[]): Promise<'ok' | 'retry' | 'stopped'> {
    const { outbox, logger } = this.deps;
    let response: PushResponse;
    try {
      response = await client.push(`{"ops":[${ops.map((op) => op.op).join(',')}]}`, this.calls.signal);
    } catch (error) {
      if (this.client !== client) return 'stopped';
      if (!(error instanceof HubCallError)) throw error;
      if (error.transient) {
        this.setOnline(false, 'hub_unreachable', error);
        return 'retry';
      }
      if (error.status === 401 || error.status === 403) {
        this.tokenRefused();
        return 'stopped';
      }
      this.setOnline(true);
      if (ops.length > 1) {
        const half = Math.ceil(ops.length / 2);
        const first = await this.send(client, ops.slice(0, half));
        return first === 'ok' ? this.send(client, ops.slice(half)) : first;
      }
      const [op] = ops;
      if (op) {
        outbox.reject(op, error.code ?? `http_${error.status ?? 0}`);
        logger.error({ code: error.code, httpStatus: error.status, kind: kindOf(op) }, 'the hub refused a change for good; it was set aside');
        this.problem('changes_refused');
      }
      return 'ok';
    }
    if (this.client !== client) return 'stopped';
    if (!Array.isArray(response.results) || response.results.length !== ops.length) {
      // Not an answer of the protocol: nothing is deleted, the ops go again later (the hub applies each id once).
      this.setOnline(false, 'hub_error');
      return 'retry';
    }
    outbox.pushed(ops);
    this.setOnline(true);
    return 'ok';
  }

  // ---- pull ---------------------------------------------------------------------------------

  private requestPull(): Promise<void> {
    if (this.pullRun) {
      this.pullAgain = true;
      return this.pullRun;
    }
    const run = (async () => {
      try {
        for (let round = 0; round < 100 && this.client !== null; round++) {
          this.pullAgain = false;
          await this.pullAll();
          if (!this.pullAgain || this.pullRetry !== null) break;
        }
      } catch (error) {
        this.deps.logger.error({ err: errorFacts(error) }, 'the puller failed');
      } finally {
        this.pullRun = null;
      }
    })();
    this.pullRun = run;
    return run;
  }

  /**
   * Pulls pages after the cursor and applies each (with the cursor move) in one transaction, until
   * there are no more. While one page is applied the next is on its way, and, when there are more,
   * the one after it too, guessed: seqs are nearly dense, so it usually starts a full page further
   * (a guess that turns out wrong is dropped; a page asked for early is still a correct prefix).
   */
  private async pullAll(): Promise<void> {
    const { state, clock } = this.deps;
    const client = this.client;
    if (client === null) return;
    const size = this.timings.pullPageSize;
    const asked = new Map<number, Promise<PullResponse>>();
    const ask = (after: number, at: string | null = null) => {
      let page = asked.get(after);
      if (page === undefined) {
        page = client.pull(after, size, at, this.calls.signal);
        // Awaited below, or dropped (a wrong guess, or the run stopped first): its failure is then nobody's.
        page.catch(() => undefined);
        asked.set(after, page);
      }
      return page;
    };
    let cursor = state.number('cursor') ?? 0;
    // The first page checks that the hub still has the change at the cursor; the next ones follow it.
    let next: Promise<PullResponse> | null = ask(cursor, state.get('cursor_op'));
    for (let pages = 0; pages < MAX_PAGES_PER_RUN && next !== null; pages++) {
      let page: PullResponse;
      try {
        page = await next;
      } catch (error) {
        if (this.client !== client) return;
        if (!(error instanceof HubCallError)) throw error;
        if (error.status === 401 || error.status === 403) {
          this.tokenRefused();
          return;
        }
        if (error.code === 'cursor_unknown') {
          this.hubLostChanges();
          this.pullAgain = true;
          return;
        }
        this.setOnline(false, error.transient ? 'hub_unreachable' : 'hub_error', error);
        this.retryPull();
        return;
      }
      next = null;
      for (const after of [...asked.keys()]) if (after <= cursor) asked.delete(after);
      if (this.client !== client) return;
      if (!Array.isArray(page.changes) || typeof page.cursor !== 'number' || page.cursor < cursor) {
        this.setOnline(false, 'hub_error');
        this.retryPull();
        return;
      }
      if (page.more) {
        next = ask(page.cursor);
        if (page.changes.length >= size) void ask(page.cursor + size);
      }
      try {
        this.applier.applyPage(page.changes, page.cursor, state.get('desk_id'), clock.now());
      } catch (error) {
        // Nothing of the page was kept (one transaction): pulled again later, from the same cursor.
        this.storageRefused(error, 'changes from the hub could not be stored');
        this.retryPull();
        return;
      }
      cursor = page.cursor;
      this.pullFailures = 0;
      // A page stored again: the data file's earlier refusal is over.
      if (this.lastError()?.code === 'storage') this.deps.state.set('last_error', null);
      this.setOnline(true);
    }
    this.emit();
  }

  /**
   * The hub does not have the change this desk synced through: its database was restored from a
   * backup, or replaced. What it lost may live on this desk only, so the desk pulls everything
   * again and sends what it has again under the stamps it already has: last writer wins keeps
   * whatever is newer, wherever it is, so nothing is lost and nothing older wins. A resend cut
   * short is done again at the next start (`resend_pending`).
   */
  private hubLostChanges(): void {
    const { db, state, logger } = this.deps;
    logger.warn({ cursor: state.number('cursor') }, 'the sync hub lost changes this desk had synced (restored from a backup?); sending them again');
    try {
      db.transaction(() => {
        state.set('cursor', 0);
        state.set('cursor_op', null);
        state.set('resend_pending', 1);
      }).immediate();
    } catch (error) {
      this.storageRefused(error);
      return;
    }
    this.problem('hub_restored');
    this.resendShared();
  }

  /** Records every shared row of this desk in the outbox again, with its own stamp, and pushes. */
  private resendShared(): void {
    const { replica, outbox, state, logger } = this.deps;
    try {
      const shared = replica.shareExisting(outbox, 500, true);
      const forgets = outbox.resendTombstones();
      state.set('resend_pending', null);
      logger.info({ ...shared, forgets }, 'sent what this desk has to the hub again');
    } catch (error) {
      this.storageRefused(error);
      return;
    }
    void this.requestPush();
  }

  /** This desk's data file refused a sync write (full, damaged, read-only): damage switches the app to safe mode. */
  private storageRefused(error: unknown, what = 'sync state could not be stored'): void {
    this.deps.logger.error({ err: errorFacts(error) }, what);
    this.deps.onStorageError?.(error);
    this.problem('storage');
  }

  private retryPull(): void {
    if (this.pullRetry !== null || this.client === null) return;
    this.pullFailures++;
    this.pullRetry = this.deps.clock.schedule(() => {
      this.pullRetry = null;
      void this.requestPull();
    }, this.backoff(this.pullFailures));
  }

  // ---- live ---------------------------------------------------------------------------------

  /** Opens the live stream; each announced seq past the cursor starts a pull. Reopened with backoff when it ends. */
  private openLive(): void {
    const client = this.client;
    if (client === null || this.closed) return;
    const live = new AbortController();
    this.live = live;
    const onAbort = () => live.abort();
    this.calls.signal.addEventListener('abort', onAbort, { once: true });
    client
      .live(
        () => {
          this.liveFailures = 0;
          this.setOnline(true);
          // Whatever was announced while the stream was down.
          void this.requestPull();
        },
        (event) => {
          if (event.seq > (this.deps.state.number('cursor') ?? 0)) void this.requestPull();
        },
        live.signal,
      )
      .then(
        () => this.liveEnded(client, live, null),
        (error: unknown) => this.liveEnded(client, live, error),
      )
      .finally(() => this.calls.signal.removeEventListener('abort', onAbort));
  }

  private liveEnded(client: HubClient, live: AbortController, error: unknown): void {
    if (this.live === live) this.live = null;
    if (this.client !== client || this.closed || live.signal.aborted) return;
    if (error instanceof HubCallError && (error.status === 401 || error.status === 403)) {
      this.tokenRefused();
      return;
    }
    if (error !== null) {
      this.liveFailures++;
      if (error instanceof HubCallError) this.setOnline(false, error.transient ? 'hub_unreachable' : 'hub_error', error);
      else this.deps.logger.error({ err: errorFacts(error) }, 'the live stream failed');
    }
    // A stream the hub ended (restart, revocation check) is reopened quickly; failures back off.
    this.liveRetry = this.deps.clock.schedule(
      () => {
        this.liveRetry = null;
        this.openLive();
      },
      error === null ? this.timings.retryBaseMs : this.backoff(this.liveFailures),
    );
  }

  // ---- status -------------------------------------------------------------------------------

  private setOnline(online: boolean, problem?: SyncProblem, error?: unknown): void {
    const was = this.online;
    this.online = online;
    if (online) {
      if (this.lastError()?.code === 'hub_unreachable' || this.lastError()?.code === 'hub_error') this.deps.state.set('last_error', null);
    } else if (problem) {
      if (was) this.deps.logger.warn({ problem, ...(error ? errorFacts(error) : {}) }, 'the sync hub is unreachable; changes wait in the outbox');
      this.problem(problem);
    }
    if (was !== online) this.emit();
  }

  private tokenRefused(): void {
    this.deps.logger.error('the sync hub refused this desk’s token (revoked?); enroll again');
    this.online = false;
    this.problem('token_refused');
    // No more calls with a token the hub refuses: the desk stays enrolled and keeps recording until it enrolls again or leaves.
    void this.disconnect().then(() => this.emit());
  }

  private problem(code: SyncProblem): void {
    try {
      this.deps.state.set('last_error', JSON.stringify({ code, at: this.deps.clock.now() }));
    } catch (error) {
      // A read-only file (safe mode) cannot keep it: the status still says it from memory below.
      this.deps.logger.debug({ err: errorFacts(error) }, 'the sync problem could not be kept');
    }
    this.emit();
  }

  private lastError(): SyncStatus['lastError'] {
    const text = this.deps.state.get('last_error');
    if (text === null) return null;
    try {
      const value = JSON.parse(text) as { code?: unknown; at?: unknown };
      return typeof value.code === 'string' && typeof value.at === 'number' ? { code: value.code as SyncProblem, at: value.at } : null;
    } catch {
      // Not ours (edited by hand): no error to show.
      return null;
    }
  }

  /** Emits `changed` when the status differs from the last one emitted; returns it. */
  private emit(): SyncStatus {
    const status = this.status();
    const { revision: _previous, ...shown } = status;
    const text = JSON.stringify(shown);
    if (text !== this.lastEmitted) {
      this.lastEmitted = text;
      status.revision = ++this.revision;
      this.events.emit('changed', status);
    }
    return status;
  }
}

/** The batch's leading ops that fit the protocol's byte bound (with the wrapper). */
function fitBatch(ops: PendingOp[]): PendingOp[] {
  let bytes = 16;
  for (let index = 0; index < ops.length; index++) {
    bytes += Buffer.byteLength(ops[index]!.op) + 1;
    if (bytes > SYNC_MAX_BATCH_BYTES) return ops.slice(0, Math.max(1, index));
  }
  return ops;
}

/** The op's kind, read from its stored text without parsing the value (for the log). */
function kindOf(op: PendingOp): string {
  return /"kind":"([a-z.]+)"/.exec(op.op)?.[1] ?? 'unknown';
}

function isEnrollment(value: unknown): value is EnrollResponse {
  const response = value as Partial<EnrollResponse> | null;
  return (
    response !== null &&
    typeof response === 'object' &&
    typeof response.deskId === 'string' &&
    /^[0-9a-f-]{36}$/.test(response.deskId) &&
    typeof response.deskName === 'string' &&
    typeof response.store === 'string' &&
    typeof response.token === 'string' &&
    response.token.length >= 16
  );
}

function enrollmentError(error: unknown, hubUrl: string): AppError {
  if (error instanceof HubCallError) {
    if (error.kind === 'network') return new AppError('sync_unavailable', `The hub at ${hubUrl} could not be reached.`, { cause: 'unreachable' });
    if (error.code === 'enrollment_invalid' || error.code === 'invalid_request') {
      const message = 'the hub did not accept this enrollment code: it is wrong, used already, or expired';
      return new AppError('invalid_request', `code: ${message}`, [{ path: ['code'], code: 'custom', message }]);
    }
    return new AppError('sync_unavailable', `The hub at ${hubUrl} refused the enrollment (${error.status ?? '?'}).`, {
      status: error.status,
      cause: error.code ?? 'refused',
    });
  }
  return new AppError('sync_unavailable', `The hub at ${hubUrl} could not be reached.`);
}
