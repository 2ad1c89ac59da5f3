import path from 'node:path';
import type { StorageStatus } from '@shared/contract/app';
import type { StorageReplaced } from '@shared/contract/storage';
import { notUpdatingStatus } from '@shared/contract/updates';
import { AppError } from '@shared/errors';
import { defaultSettings } from '@shared/settings';
import { createMemory, createMemoryHandlers, limitsFromQuotas, type MemoryModule } from '../memory';
import { ExtractiveSummarizer } from '../memory/summarizer';
import { createMemoryTools } from '../memory/tools';
import { createAgent, createChatHandlers, createModelResolver, ModelSummarizer, type AgentModule } from '../agent';
import { createUsageHandlers } from '../agent/usageHandlers';
import { createCommerceHandlers } from '../commerce/handlers';
import { IMAGE_CACHE_DIR_NAME, ImageCache } from '../images';
import { StoreConnection } from '../commerce/service';
import { createAppHandlers } from '../settings/appHandlers';
import { SettingsService } from '../settings/settingsService';
import { ProcessSecretStore } from '../settings/secretStore';
import { createSync, createSyncHandlers, createSyncOutbox, type SyncModule } from '../sync';
import { applyStagedChange, BackupStore } from '../storage/backups';
import { migrateOpened, openDatabaseFile, pendingMigrations, schemaVersionOf, type Db } from '../storage/database';
import { StorageGuard } from '../storage/guard';
import { createStorageHandlers } from '../storage/handlers';
import { migrations } from '../storage/migrations';
import { DB_FILE_NAME, LOG_FILE_NAME, type AppConfig } from './config';
import { lockDataFolder } from './folderLock';
import { systemClock } from '../core/clock';
import { createDispatch, type Dispatch, type Handlers } from '../core/dispatch';
import { EventBus } from '../core/eventBus';
import { Lifecycle } from '../core/lifecycle';
import { createLogger, errorFacts, type AppLogger, type Logger } from '../core/logger';

export interface Services {
  readonly config: AppConfig;
  /** JSON lines in `logs/mm-assistant.log` in the user-data folder; secrets never reach it. */
  readonly log: AppLogger;
  readonly events: EventBus;
  /** Null when the data file could not be opened; `storage` says why. */
  readonly db: Db | null;
  /** The data file's state now (it turns `damaged`, read-only, when damage is found while running). */
  readonly storage: StorageStatus;
  /** What a staged restore or fresh start did as these services opened the file; null when there was none. */
  readonly replaced: StorageReplaced | null;
  readonly settings: SettingsService;
  /** Null when the data file could not be opened; its channels then answer `storage_unavailable`. */
  readonly memory: MemoryModule | null;
  readonly dispatch: Dispatch;
  /** The store client (pointed at the in-process demo store when `demoStore` is on). */
  readonly commerce: StoreConnection;
  /** The agent orchestrator (chat); null without a data file, like memory. */
  readonly agent: AgentModule | null;
  /** Sync with a hub (src/main/sync); null without a data file. */
  readonly sync: SyncModule | null;
  /** Product images kept on disk, fetched from the store in use; served by the app protocol and the bridge. */
  readonly images: ImageCache;
  close(): Promise<void>;
}

/** What a `ServiceHost` (app/host.ts) lends the services it starts, so a restart keeps the transport's bus. */
export interface HostLink {
  /** The bus the transports listen to; it outlives these services. */
  events: EventBus;
  /** Closes these services and starts new ones on the same folder; what the new start replaced. */
  restart: () => Promise<StorageReplaced | null>;
}

/**
 * The composition root: builds every core service from one config object and closes them in
 * reverse order. Nothing here imports `electron`.
 */
export async function createServices(config: AppConfig, host?: HostLink): Promise<Services> {
  // Before anything opens a file of the folder: a second app on it refuses to start.
  let unlockable: unknown = null;
  const unlock = lockDataFolder(config.userDataDir, (error) => (unlockable = error));
  let log: AppLogger;
  try {
    log = openLog(config);
  } catch (error) {
    unlock();
    throw error;
  }
  const logger = log.logger;
  // Each service logs through its own child, so every line names the service it came from.
  const appLog = logger.child({ service: 'app' });
  const lifecycle = new Lifecycle((name, error) => appLog.error({ closing: name, err: error }, 'a service did not close cleanly'));
  // Added first, so they close last: the folder is released once everything in it is closed.
  lifecycle.add('folder lock', unlock);
  lifecycle.add('log', () => log.close());
  if (unlockable) appLog.warn({ err: errorFacts(unlockable) }, 'the data folder could not be locked');
  lifecycle.add('closed', () => appLog.info('services closed'));
  // By code and place only: the events carry chat text and memory values.
  const events = host?.events ?? new EventBus((error, name) => appLog.warn({ event: name, ...errorFacts(error) }, 'an event listener failed'));
  if (!host) lifecycle.add('events', () => events.clear());

  const file = path.join(config.userDataDir, DB_FILE_NAME);
  let db: Db | null = null;
  let storage: StorageStatus;
  const storageLog = logger.child({ service: 'storage' });
  const backups = new BackupStore(file, systemClock, storageLog);
  let replaced: StorageReplaced | null = null;
  try {
    // A restore or fresh start asked for before a restart (or before a crash) is finished first.
    replaced = applyStagedChange(file, storageLog);
  } catch (error) {
    storageLog.error({ err: error }, 'a staged restore could not be finished; it is tried again at the next start');
  }
  try {
    const opened = await openAndMigrate(file, backups, storageLog);
    db = opened.db;
    storage = opened.status;
    const openDb = db;
    lifecycle.add('database', () => {
      if (openDb.open) openDb.close();
    });
  } catch (error) {
    // The app still runs (store, settings for this run); memory and chat answer `storage_unavailable`.
    storage = storageStatusFromError(file, error);
    storageLog.error({ state: storage.state, schemaVersion: storage.schemaVersion, err: error }, 'running without the data file');
  }

  try {
    const settings = new SettingsService(db, config.createSecretStore(db), logger.child({ service: 'settings' }));
    if (config.settingsOverrides) settings.applyOverrides(config.settingsOverrides);
    log.secrets.add(settings.apiKey());

    // Damage found while running turns the file read-only (safe mode); a daily backup while it is healthy.
    const guard = new StorageGuard(db, storage, backups, systemClock, () => settings.get().backupsKept, storageLog);
    guard.events.on('changed', (status) => events.emit('app.storageChanged', status));
    guard.start();
    lifecycle.add('backups', () => guard.close());

    const commerceLog = logger.child({ service: 'commerce' });
    const commerce = await StoreConnection.open(settings.get(), {
      db,
      mmExtensions: config.env?.MM_STORE_EXTENSIONS === '1',
      logger: commerceLog,
    });
    // The renderer follows cart changes the agent makes; this survives a change of store.
    commerce.events.on('cartChanged', (change) => events.emit('cart.changed', change));
    lifecycle.add('commerce', () => commerce.close());
    // Product images through the store's pooled client, only from the host of the store in use.
    const images = new ImageCache({
      dir: path.join(config.userDataDir, IMAGE_CACHE_DIR_NAME),
      fetch: (url, options) => commerce.client.transport.fetchImage(url, options),
      storeEndpoint: () => commerce.client.transport.options.endpoint,
      logger: logger.child({ service: 'images' }),
    });
    lifecycle.add('images', () => images.close());

    // Gemini when a key is set, else the offline planner; the nightly summaries use the same model.
    // Model, endpoint and timeouts are read from the settings at every run.
    const agentLog = logger.child({ service: 'agent' });
    const models = createModelResolver(settings, config.env, undefined, agentLog);
    const language = () => settings.get().language;
    const summarizer = new ModelSummarizer(models, new ExtractiveSummarizer(), language, agentLog);
    // Sync's outbox is memory's change feed: shared changes are recorded in their own transaction.
    const syncFeed = db ? createSyncOutbox(db, systemClock) : null;
    const memory = db
      ? createMemory({
          db,
          limits: limitsFromQuotas(settings.get().quotas),
          summarizer,
          logger: logger.child({ service: 'memory' }),
          onStorageError: (error) => guard.observe(error),
          ...(syncFeed ? { changeFeed: syncFeed.outbox } : {}),
        })
      : null;
    if (memory) {
      // Memory announces changes in its own terms; the renderer hears them as contract events. New quotas apply at once.
      memory.events.on('changed', (change) => events.emit('memory.changed', change));
      memory.events.on('quotaWarning', (warning) => events.emit('memory.quotaWarning', warning));
      lifecycle.add('memory', () => memory.close());
      // Missed maintenance catches up in the background; a failure shows in the next report.
      memory.start().catch((error: unknown) => logger.warn({ service: 'memory', err: error }, 'maintenance catch-up failed'));
    }

    // Sync with a hub, over memory's replica; added after memory, so it stops before memory closes.
    const sync =
      db && memory && syncFeed
        ? createSync({
            db,
            clock: systemClock,
            feed: syncFeed,
            replica: memory.replica,
            tokens: config.createSyncTokenStore?.(db) ?? new ProcessSecretStore(config.env?.MM_SYNC_TOKEN),
            logger: logger.child({ service: 'sync' }),
            addSecret: (token) => log.secrets.add(token),
            onStorageError: (error) => guard.observe(error),
            ...(config.syncTimings ? { timings: config.syncTimings } : {}),
          })
        : null;
    if (sync) {
      sync.service.events.on('changed', (status) => events.emit('sync.changed', status));
      lifecycle.add('sync', () => sync.close());
      sync.start();
    }

    const agent =
      db && memory
        ? createAgent({
            db,
            model: models,
            language,
            sessions: memory.sessions,
            memory: memory.memory,
            memoryTools: Object.values(createMemoryTools(memory.memory)),
            commerce,
            // Read at every run, like the model settings, so a changed budget applies to the next message.
            tokenBudget: () => settings.get().contextTokenBudget,
            logger: agentLog,
          })
        : null;
    // Added last, so closing cancels running answers before memory and the store client go.
    if (agent) {
      agent.chat.events.on('runEvent', (event) => {
        if (event.type === 'error') guard.observe(event.error);
        events.emit('chat.event', event);
      });
      lifecycle.add('agent', () => agent.close());
    }

    const handlers: Handlers = {
      ...createAppHandlers({ app: { version: config.version, mode: config.mode }, settings, storage: () => guard.status }),
      ...createCommerceHandlers(commerce, language),
      ...(memory ? memory.handlers : createMemoryHandlers(null)),
      ...(agent ? agent.handlers : createChatHandlers(null)),
      ...createUsageHandlers(agent ? agent.usage : null),
      ...createStorageHandlers({ backups, guard, keep: () => settings.get().backupsKept, restart: host?.restart ?? null }),
      ...createSyncHandlers(sync?.service ?? null),
      // The installed desktop app answers these itself (shell/updates.ts); anything else does not update itself.
      'updates.status': () => notUpdatingStatus(config.version, settings.get()),
      'updates.check': () => notUpdatingStatus(config.version, settings.get()),
      'updates.consent': () => {
        throw new AppError('conflict', 'This app does not update itself; install the new version by hand.');
      },
    };
    const saveKey = handlers['settings.setApiKey'];
    // The key is cut out of every log line from the moment it is set.
    handlers['settings.setApiKey'] = (request, context) => {
      log.secrets.add(request.apiKey);
      return saveKey(request, context);
    };
    // The one way settings reach the services: each saved change is applied here before the
    // answer goes back, so the next search uses the new store and the next write the new quotas.
    // The model, its endpoint, timeouts and the token budget are read at every run instead.
    // A save through settings.set is announced once it is applied (below), with the settings as
    // stored by then: a window that re-reads its cart when the store changed then reads the new
    // store. Other changes (the API key) at once, also while a save is applied: `applying` covers
    // only the save's own synchronous write and its `changed`.
    let applying = false;
    settings.events.on('changed', (view) => {
      if (!applying) events.emit('settings.changed', view);
    });
    const saveSettings = handlers['settings.set'];
    handlers['settings.set'] = async (patch, context) => {
      applying = true;
      let saving: ReturnType<typeof saveSettings>;
      try {
        saving = saveSettings(patch, context);
      } finally {
        applying = false;
      }
      const view = await saving;
      const current = settings.get();
      memory?.applyQuotas(current.quotas);
      try {
        await commerce.reconfigure(current);
      } catch (error) {
        // Saved, not applied: the staff hears it as a notice, and the settings answer still goes back.
        const message = error instanceof Error ? error.message : String(error);
        commerceLog.error({ err: error }, 'store settings saved but not applied');
        events.emit('app.notice', {
          level: 'error',
          code: 'store_unavailable',
          message: `The store settings were saved but could not be applied: ${message}`,
        });
      }
      events.emit('settings.changed', settings.view());
      return view;
    };
    const dispatchHandlers = createDispatch(handlers, logger.child({ service: 'dispatch' }));
    // Damage surfacing in any request switches the app to safe mode before the answer goes back.
    const dispatch: Dispatch = async (channel, request, context) => {
      const result = await dispatchHandlers(channel, request, context);
      if (!result.ok) guard.observe(result.error);
      return result;
    };
    appLog.info({ mode: config.mode, version: config.version, storage: storage.state }, 'services ready');

    return {
      config,
      log,
      events,
      db,
      get storage() {
        return guard.status;
      },
      replaced,
      settings,
      memory,
      dispatch,
      commerce,
      agent,
      images,
      sync,
      close: () => lifecycle.close(),
    };
  } catch (error) {
    appLog.fatal({ err: error }, 'services could not start');
    // What was opened is closed; a close failure was logged by the lifecycle and must not hide the start failure.
    await lifecycle.close().catch(() => undefined);
    throw error;
  }
}

/** The log file in the user-data folder; if it cannot be opened, the app still runs, logging to the console. */
function openLog(config: AppConfig): AppLogger {
  const level = config.env?.MM_LOG_LEVEL === 'debug' ? 'debug' : 'info';
  try {
    const fromEnv = config.env?.MM_LOG_CONSOLE;
    const console = config.logConsole ?? (fromEnv === 'pretty' || fromEnv === 'json' ? fromEnv : false);
    return createLogger({ file: path.join(config.userDataDir, LOG_FILE_NAME), console, level });
  } catch (error) {
    // The app runs without its log file rather than not at all.
    const fallback = createLogger({ console: config.logConsole || 'json', level });
    fallback.logger.warn({ service: 'app', err: error }, 'the log file could not be opened; logging to the console only');
    return fallback;
  }
}

/**
 * Opens the data file; when migrations are pending on a file that has data, a backup is taken
 * first, and without it the file is not migrated (it stays as it was, at its version).
 */
async function openAndMigrate(file: string, backups: BackupStore, logger: Logger): Promise<{ db: Db; status: StorageStatus }> {
  const db = openDatabaseFile(file, logger);
  const version = schemaVersionOf(db);
  if (version > 0 && pendingMigrations(db, migrations).length > 0) {
    try {
      await backups.create(db, 'migration', defaultSettings.backupsKept);
    } catch (error) {
      db.close();
      logger.error({ schemaVersion: version, err: error }, 'no backup could be taken before the migration; the file is not migrated');
      throw new AppError(
        'migration_failed',
        `A backup could not be taken before updating the data file, so it was not updated (it stays at version ${version}): ${error instanceof Error ? error.message : String(error)}`,
        { schemaVersion: version },
      );
    }
  }
  return migrateOpened(db, file, migrations, logger);
}

function storageStatusFromError(file: string, error: unknown): StorageStatus {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof AppError && error.code === 'migration_failed') {
    const details = error.details as { schemaVersion: number };
    return { state: 'migration_failed', path: file, schemaVersion: details.schemaVersion, message };
  }
  const state = error instanceof AppError && (error.details as { state?: string }).state === 'corrupt' ? 'corrupt' : 'unreadable';
  return { state, path: file, schemaVersion: 0, message };
}
