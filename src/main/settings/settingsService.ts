import { AppError } from '@shared/errors';
import { defaultSettings, settingsSchema, type Settings, type SettingsPatch, type SettingsView } from '@shared/settings';
import { Emitter } from '../core/emitter';
import { silentLogger, type Logger } from '../core/logger';
import type { Db } from '../storage/database';
import type { SecretStore } from './secretStore';

/** Settings persisted in SQLite, one row per top-level key; the API key goes to the SecretStore. */
export class SettingsService {
  private cached: Settings | null = null;
  private overrides: SettingsPatch = {};

  /** `changed` after every saved change (settings or API key), with what the renderer may see. */
  readonly events = new Emitter<{ changed: SettingsView }>((error, name) => this.log.warn({ event: name, err: error }, 'a settings listener failed'));

  constructor(
    private readonly db: Db | null,
    private readonly secrets: SecretStore,
    private readonly log: Logger = silentLogger(),
  ) {}

  get(): Settings {
    if (this.cached) return this.cached;
    const merged: Record<string, unknown> = { ...defaultSettings };
    if (this.db) {
      const rows = this.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
      for (const row of rows) {
        if (!Object.hasOwn(defaultSettings, row.key)) continue;
        // The table's CHECK (json_valid) keeps every value parseable. A stored group (the quotas) is
        // laid over its defaults: a field added by a later version gets its default, the rest stay.
        const value = JSON.parse(row.value) as unknown;
        const fallback = defaultSettings[row.key as keyof typeof defaultSettings];
        const candidate = { ...merged, [row.key]: isPlainObject(value) && isPlainObject(fallback) ? { ...fallback, ...value } : value };
        // A stored value that no longer validates (older version, hand edit) falls back to the default.
        if (settingsSchema.safeParse(candidate).success) merged[row.key] = candidate[row.key];
        else this.log.warn({ setting: row.key }, 'a stored setting no longer validates; its default is used');
      }
    }
    const stored = settingsSchema.parse(merged);
    this.cached = settingsSchema.parse({
      ...stored,
      ...this.overrides,
      quotas: { ...stored.quotas, ...(this.overrides.quotas ?? {}) },
    });
    return this.cached;
  }

  /** Values for this run only (command-line flags); a later `set` of the same key replaces them. */
  applyOverrides(overrides: SettingsPatch): void {
    this.overrides = { ...overrides };
    this.cached = null;
  }

  view(): SettingsView {
    return { ...this.get(), apiKeySet: this.secrets.get() !== null, apiKeyStorage: this.secrets.kind };
  }

  apiKey(): string | null {
    return this.secrets.get();
  }

  set(patch: SettingsPatch): SettingsView {
    const db = this.requireDb();
    const current = this.get();
    const next = settingsSchema.parse({
      ...current,
      ...patch,
      quotas: { ...current.quotas, ...(patch.quotas ?? {}) },
    });
    const upsert = db.prepare(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    );
    const now = Date.now();
    db.transaction(() => {
      for (const key of Object.keys(patch) as (keyof Settings)[]) {
        upsert.run(key, JSON.stringify(next[key]), now);
      }
    })();
    for (const key of Object.keys(patch) as (keyof SettingsPatch)[]) delete this.overrides[key];
    this.cached = next;
    // Which settings changed, not their values (an endpoint may carry a gateway's credentials).
    this.log.info({ settings: Object.keys(patch) }, 'settings saved');
    const view = this.view();
    this.events.emit('changed', view);
    return view;
  }

  setApiKey(apiKey: string | null): SettingsView {
    if (this.secrets.kind === 'safeStorage') this.requireDb();
    try {
      this.secrets.set(apiKey);
    } catch (error) {
      this.log.error({ storage: this.secrets.kind, err: error }, 'the API key could not be stored');
      throw new AppError('storage_unavailable', error instanceof Error ? error.message : String(error));
    }
    this.log.info({ apiKeySet: apiKey !== null, storage: this.secrets.kind }, apiKey === null ? 'API key removed' : 'API key saved');
    const view = this.view();
    this.events.emit('changed', view);
    return view;
  }

  private requireDb(): Db {
    if (!this.db) {
      throw new AppError('storage_unavailable', 'Settings cannot be saved because the data file is unavailable.');
    }
    return this.db;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
