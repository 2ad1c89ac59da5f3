import path from 'node:path';
import type { StorageStatus } from '../../shared/contract/app';
import { AppError } from '../../shared/errors';
import { createAppHandlers } from '../settings/appHandlers';
import { SettingsService } from '../settings/settingsService';
import { openDatabase, type Db } from '../storage/database';
import { migrations } from '../storage/migrations';
import { DB_FILE_NAME, type AppConfig } from './config';
import { createDispatch, type Dispatch, type Handlers } from './dispatch';
import { EventBus } from './eventBus';
import { Lifecycle } from './lifecycle';

export interface Services {
  readonly config: AppConfig;
  readonly events: EventBus;
  /** Null when the data file could not be opened; `storage` says why. */
  readonly db: Db | null;
  readonly storage: StorageStatus;
  readonly settings: SettingsService;
  readonly dispatch: Dispatch;
  close(): Promise<void>;
}

/**
 * The composition root: builds every core service from one config object and closes them in
 * reverse order. Nothing here imports `electron`.
 */
export async function createServices(config: AppConfig): Promise<Services> {
  const lifecycle = new Lifecycle();
  const events = new EventBus();
  lifecycle.add('events', () => events.clear());

  const file = path.join(config.userDataDir, DB_FILE_NAME);
  let db: Db | null = null;
  let storage: StorageStatus;
  try {
    const opened = openDatabase(file, migrations);
    db = opened.db;
    storage = opened.status;
    const openDb = db;
    lifecycle.add('database', () => {
      if (openDb.open) openDb.close();
    });
  } catch (error) {
    storage = storageStatusFromError(file, error);
  }

  try {
    const settings = new SettingsService(db, config.createSecretStore(db), events);
    if (config.settingsOverrides) settings.applyOverrides(config.settingsOverrides);

    const handlers: Handlers = {
      ...createAppHandlers({ config, settings, storage }),
    };
    const dispatch = createDispatch(handlers);

    return {
      config,
      events,
      db,
      storage,
      settings,
      dispatch,
      close: () => lifecycle.close(),
    };
  } catch (error) {
    await lifecycle.close();
    throw error;
  }
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
