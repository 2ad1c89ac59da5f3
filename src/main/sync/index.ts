import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { Replica } from '../memory';
import type { SecretStore } from '../settings/secretStore';
import type { Db } from '../storage/database';
import { createSyncHandlers } from './handlers';
import { Outbox } from './outbox';
import { SyncService, type SyncTimings } from './service';
import { SyncState } from './state';

export { createSyncHandlers } from './handlers';
export { canonicalHubUrl } from './hubUrl';
export { SyncService, defaultSyncTimings, type SyncTimings } from './service';
export { Outbox } from './outbox';

/**
 * This desk's side of the sync with a hub, in two steps because memory needs the outbox (its
 * change feed) before the service can be built over memory's replica: `createSyncOutbox` before
 * `createMemory`, then `createSync`.
 */
export interface SyncOutbox {
  readonly state: SyncState;
  /** The change feed memory writes to (`createMemory({ changeFeed })`). */
  readonly outbox: Outbox;
}

export function createSyncOutbox(db: Db, clock: Clock): SyncOutbox & { notify(listener: () => void): void } {
  const state = new SyncState(db);
  let listener: () => void = () => undefined;
  const outbox = new Outbox(db, clock, state, () => listener());
  return {
    state,
    outbox,
    notify(next) {
      listener = next;
    },
  };
}

export interface SyncModule {
  readonly service: SyncService;
  readonly handlers: ReturnType<typeof createSyncHandlers>;
  /** Connects when the desk is enrolled (and has its token). */
  start(): void;
  close(): Promise<void>;
}

export function createSync(deps: {
  db: Db;
  clock: Clock;
  feed: ReturnType<typeof createSyncOutbox>;
  replica: Replica;
  tokens: SecretStore;
  logger: Logger;
  addSecret: (value: string) => void;
  onStorageError?: (error: unknown) => void;
  timings?: Partial<SyncTimings>;
}): SyncModule {
  const service = new SyncService({
    db: deps.db,
    state: deps.feed.state,
    outbox: deps.feed.outbox,
    replica: deps.replica,
    tokens: deps.tokens,
    clock: deps.clock,
    logger: deps.logger,
    addSecret: deps.addSecret,
    ...(deps.onStorageError ? { onStorageError: deps.onStorageError } : {}),
    ...(deps.timings ? { timings: deps.timings } : {}),
  });
  deps.feed.notify(() => service.changeRecorded());
  return {
    service,
    handlers: createSyncHandlers(service),
    start: () => service.start(),
    close: () => service.close(),
  };
}
