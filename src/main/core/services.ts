import path from 'node:path';
import type { StorageStatus } from '../../shared/contract/app';
import { AppError } from '../../shared/errors';
import { createMemory, createMemoryHandlers, limitsFromQuotas, type MemoryModule } from '../memory';
import { ExtractiveSummarizer } from '../memory/summarizer';
import { createMemoryTools } from '../memory/tools';
import { createAgent, createChatHandlers, createModelResolver, ModelSummarizer, type AgentModule } from '../agent';
import { createUsageHandlers } from '../agent/usageHandlers';
import { createCommerceHandlers } from '../commerce/handlers';
import { StoreConnection } from '../commerce/service';
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
  /** Null when the data file could not be opened; its channels then answer `storage_unavailable`. */
  readonly memory: MemoryModule | null;
  readonly dispatch: Dispatch;
  /** The store client (pointed at the in-process demo store when `demoStore` is on). */
  readonly commerce: StoreConnection;
  /** The agent orchestrator (chat); null without a data file, like memory. */
  readonly agent: AgentModule | null;
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

    const commerce = await StoreConnection.open(settings.get(), {
      db,
      events,
      mmExtensions: config.env?.MM_STORE_EXTENSIONS === '1',
    });
    lifecycle.add('commerce', () => commerce.close());

    // Gemini when a key is set, else the offline planner; the nightly summaries use the same model.
    // Model, endpoint and timeouts are read from the settings at every run.
    const models = createModelResolver(settings, config.env);
    const language = () => settings.get().language;
    const summarizer = new ModelSummarizer(models, new ExtractiveSummarizer(), language);
    const memory = db ? createMemory({ db, limits: limitsFromQuotas(settings.get().quotas), events, summarizer }) : null;
    if (memory) {
      lifecycle.add('memory', () => memory.close());
      // Missed maintenance catches up in the background; a failure shows in the next report.
      void memory.start().catch(() => undefined);
    }

    const agent =
      db && memory
        ? createAgent({
            db,
            events,
            model: models,
            language,
            sessions: memory.sessions,
            memory: memory.memory,
            memoryTools: Object.values(createMemoryTools(memory.memory)),
            commerce,
            // Read at every run, like the model settings, so a changed budget applies to the next message.
            tokenBudget: () => settings.get().contextTokenBudget,
          })
        : null;
    // Added last, so closing cancels running answers before memory and the store client go.
    if (agent) lifecycle.add('agent', () => agent.close());

    const handlers: Handlers = {
      ...createAppHandlers({ config, settings, storage }),
      ...createCommerceHandlers(commerce),
      ...(memory ? memory.handlers : createMemoryHandlers(null)),
      ...(agent ? agent.handlers : createChatHandlers(null)),
      ...createUsageHandlers(agent ? agent.usage : null),
    };
    const saveSettings = handlers['settings.set'];
    // A changed endpoint, store code or demo setting applies before the answer, so the next search uses it.
    handlers['settings.set'] = async (patch, context) => {
      const view = await saveSettings(patch, context);
      try {
        await commerce.reconfigure(settings.get());
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        events.emit('app.notice', { level: 'error', code: 'store_unavailable', message: `The store settings were saved but could not be applied: ${message}` });
      }
      return view;
    };
    const dispatch = createDispatch(handlers);

    return {
      config,
      events,
      db,
      storage,
      settings,
      memory,
      dispatch,
      commerce,
      agent,
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
