import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import {
  geminiLimits,
  geminiModels,
  languages,
  quotaSettingsSchema,
  settingsSchema,
  type Language,
  type QuotaSettings,
  type SettingsPatch,
} from '@shared/settings';
import { ApiError, fieldErrors, type FieldIssue } from '../api/client';
import { BackupsSection } from './BackupsSection';
import { SyncSection } from './SyncSection';
import { UpdatesSection } from './UpdatesSection';
import { formatCount } from '../format';
import { errorText, useT, type Translate } from '../i18n';
import type { StringKey } from '../i18n/strings';
import { useAppStore } from '../store/appStore';

const MB = 1024 * 1024;
const quotaFields: { key: keyof QuotaSettings; unit: number }[] = [
  { key: 'hotSessionBytes', unit: MB },
  { key: 'warmUserBytes', unit: MB },
  { key: 'coldUserBytes', unit: MB },
  { key: 'warmTtlDays', unit: 1 },
  { key: 'coldRetentionDays', unit: 1 },
  { key: 'summarizeAfterDays', unit: 1 },
];

const localizedIssues = new Set(['invalid_format', 'invalid_type', 'too_small', 'too_big', 'invalid_value']);

/** Fields whose every problem has one message of their own, in the staff's language. */
const fieldMessages: Partial<Record<string, StringKey>> = {
  model: 'validation.field.model',
  modelEndpoint: 'validation.field.modelEndpoint',
  storeEndpoint: 'validation.field.storeEndpoint',
  storeCode: 'validation.field.storeCode',
};

/** The bounds of the numbers main checks (quotas in MB or days, backups kept), said with a refused value. */
function numberRange(path: string): { min: number; max: number } | null {
  const quota = /^quotas\.(\w+)$/.exec(path)?.[1];
  const field = quota
    ? quotaSettingsSchema.shape[quota as keyof QuotaSettings]
    : path === 'backupsKept'
      ? settingsSchema.shape.backupsKept
      : undefined;
  if (!field || field.minValue === null || field.maxValue === null) return null;
  const unit = quotaFields.find(({ key }) => key === quota)?.unit ?? 1;
  return { min: field.minValue / unit, max: field.maxValue / unit };
}

type GeminiNumber = keyof typeof geminiLimits;
const geminiNumbers = Object.keys(geminiLimits) as GeminiNumber[];

/** zod's English message, replaced by the staff's language where the field or the kind of problem is known. */
function issueText(t: Translate, path: string, issue: FieldIssue, language: Language): string {
  const own = fieldMessages[path];
  if (own) return t(own);
  if (Object.hasOwn(geminiLimits, path)) {
    const { min, max } = geminiLimits[path as GeminiNumber];
    return t('validation.range', { min: formatCount(min, language), max: formatCount(max, language) });
  }
  const range = numberRange(path);
  if (range) return t('validation.range', { min: formatCount(range.min, language), max: formatCount(range.max, language) });
  // zod's own text is English: a kind of problem without a sentence of its own gets the general one.
  return localizedIssues.has(issue.code) ? t(`validation.${issue.code}` as StringKey) : t('validation.invalid');
}

/** The select's value for a model id that is not in the list. */
const OTHER_MODEL = 'other';

type Draft = Record<
  | 'modelChoice'
  | 'modelOther'
  | 'modelEndpoint'
  | GeminiNumber
  | 'storeEndpoint'
  | 'storeCode'
  | 'storeDeadlineSeconds'
  | 'language'
  | 'backupsKept'
  | keyof QuotaSettings,
  string
> & { demoStore: boolean };

/** Settings form; invalid values are refused by main and the message is shown next to the field. */
export function SettingsDialog() {
  const t = useT();
  const settings = useAppStore((state) => state.settings);
  const open = useAppStore((state) => state.settingsOpen);
  const setOpen = useAppStore((state) => state.setSettingsOpen);
  const saveSettings = useAppStore((state) => state.saveSettings);
  const setApiKey = useAppStore((state) => state.setApiKey);
  const language = useAppStore((state) => state.language);
  const todayUsage = useAppStore((state) => state.todayUsage);
  // With a damaged or unreadable data file, the backups come first: that is why staff opened Settings.
  const storageTrouble = useAppStore((state) => (state.info ? state.info.storage.state !== 'ok' : false));
  const dialog = useRef<HTMLDialogElement>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<Map<string, FieldIssue>>(new Map());
  // Kept as data, not text, so it shows in the language chosen by the save itself.
  // `message` is null when the problems are shown next to their fields.
  // `code` is null when the problems are shown next to their fields.
  const [status, setStatus] = useState<{ saved: true } | { saved: false; code: string | null } | null>(null);
  // What the form held when it opened (or was last saved): "Huỷ" while it differs, "Đóng" once nothing is left unsaved.
  const [initialDraft, setInitialDraft] = useState<Draft | null>(null);
  const [apiKey, setApiKeyDraft] = useState('');

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
    if (open) void useAppStore.getState().loadTodayUsage();
  }, [open]);

  useEffect(() => {
    if (!open || !settings) return;
    const listed = (geminiModels as readonly string[]).includes(settings.model);
    const fresh: Draft = {
      modelChoice: listed ? settings.model : OTHER_MODEL,
      modelOther: listed ? '' : settings.model,
      modelEndpoint: settings.modelEndpoint,
      ...(Object.fromEntries(geminiNumbers.map((key) => [key, String(settings[key])])) as Record<GeminiNumber, string>),
      storeEndpoint: settings.storeEndpoint,
      storeCode: settings.storeCode,
      storeDeadlineSeconds: String(settings.storeDeadlineSeconds),
      language: settings.language,
      demoStore: settings.demoStore,
      backupsKept: String(settings.backupsKept),
      ...(Object.fromEntries(quotaFields.map(({ key, unit }) => [key, String(settings.quotas[key] / unit)])) as Record<keyof QuotaSettings, string>),
    };
    setDraft(fresh);
    setInitialDraft(fresh);
    setErrors(new Map());
    setStatus(null);
    setApiKeyDraft('');
  }, [open, settings]);

  if (!settings) return null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!draft) return;
    const patch: SettingsPatch = {
      model: draft.modelChoice === OTHER_MODEL ? draft.modelOther : draft.modelChoice,
      modelEndpoint: draft.modelEndpoint,
      ...Object.fromEntries(geminiNumbers.map((key) => [key, Number(draft[key])])),
      storeEndpoint: draft.storeEndpoint,
      storeCode: draft.storeCode,
      storeDeadlineSeconds: Number(draft.storeDeadlineSeconds),
      language: draft.language as SettingsPatch['language'],
      demoStore: draft.demoStore,
      quotas: Object.fromEntries(quotaFields.map(({ key, unit }) => [key, Math.round(Number(draft[key]) * unit)])),
      backupsKept: Number(draft.backupsKept),
    };
    await report(() => saveSettings(patch));
  }

  async function saveKey(value: string | null) {
    if (await report(() => setApiKey(value))) setApiKeyDraft('');
  }

  /** Runs a save and shows its outcome: "saved", or the problems next to their fields. */
  async function report(save: () => Promise<unknown>): Promise<boolean> {
    try {
      await save();
      setErrors(new Map());
      setStatus({ saved: true });
      return true;
    } catch (error) {
      const fields = fieldErrors(error);
      setErrors(fields);
      setStatus({ saved: false, code: fields.size > 0 ? null : error instanceof ApiError ? error.code : 'internal' });
      // The first refused field may be far down the form: it is brought into view and focused.
      if (fields.size > 0) {
        requestAnimationFrame(() => {
          const invalid = dialog.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
          invalid?.scrollIntoView({ block: 'center' });
          invalid?.focus();
        });
      }
      return false;
    }
  }

  const field = (key: string, label: StringKey, input: ReactNode, path: string = key) => (
    <div className="field">
      <label htmlFor={`setting-${key}`}>{t(label)}</label>
      {input}
      {errors.has(path) && (
        <span className="field-error" id={`setting-${key}-error`} role="alert">
          {issueText(t, path, errors.get(path)!, language)}
        </span>
      )}
    </div>
  );
  const text = (key: Exclude<keyof Draft, 'demoStore'>, label: StringKey, path?: string, inputMode?: 'numeric' | 'url') =>
    field(
      key,
      label,
      <input
        id={`setting-${key}`}
        name={key}
        inputMode={inputMode}
        value={draft?.[key] ?? ''}
        aria-invalid={errors.has(path ?? key)}
        aria-describedby={errors.has(path ?? key) ? `setting-${key}-error` : undefined}
        onChange={(event) => setDraft((current) => (current ? { ...current, [key]: event.target.value } : current))}
      />,
      path,
    );

  // A refused model id is shown under the field it was typed in: the list, or the "other" input.
  const modelChoicePath = draft?.modelChoice === OTHER_MODEL ? 'modelChoice' : 'model';

  return (
    <dialog
      ref={dialog}
      className="settings-dialog"
      aria-labelledby="settings-title"
      // `close` comes a task after the dialog closed: if it was opened again meanwhile, it stays open.
      onClose={(event) => {
        if (!event.currentTarget.open) setOpen(false);
      }}
    >
      <form onSubmit={(event) => void submit(event)} noValidate>
        <h2 id="settings-title">{t('settings.title')}</h2>
        {storageTrouble && <BackupsSection />}
        {field(
          'modelChoice',
          'settings.model',
          <select
            id="setting-modelChoice"
            value={draft?.modelChoice ?? ''}
            aria-invalid={errors.has(modelChoicePath)}
            aria-describedby={errors.has(modelChoicePath) ? 'setting-modelChoice-error' : undefined}
            onChange={(event) => setDraft((current) => (current ? { ...current, modelChoice: event.target.value } : current))}
          >
            {geminiModels.map((model) => (
              <option key={model} value={model}>
                {model}
              </option>
            ))}
            <option value={OTHER_MODEL}>{t('settings.model.other')}</option>
          </select>,
          modelChoicePath,
        )}
        {draft?.modelChoice === OTHER_MODEL && text('modelOther', 'settings.modelOther', 'model')}
        {text('storeEndpoint', 'settings.storeEndpoint')}
        {text('storeCode', 'settings.storeCode')}
        {text('storeDeadlineSeconds', 'settings.storeDeadlineSeconds', undefined, 'numeric')}
        <div className="field field-inline">
          <input
            id="setting-demoStore"
            type="checkbox"
            checked={draft?.demoStore ?? false}
            onChange={(event) => setDraft((current) => (current ? { ...current, demoStore: event.target.checked } : current))}
          />
          <label htmlFor="setting-demoStore">{t('settings.demoStore')}</label>
        </div>
        {field(
          'language',
          'settings.language',
          <select
            id="setting-language"
            value={draft?.language ?? 'vi'}
            onChange={(event) => setDraft((current) => (current ? { ...current, language: event.target.value } : current))}
          >
            {languages.map((language) => (
              <option key={language} value={language}>
                {t(`language.${language}`)}
              </option>
            ))}
          </select>,
        )}
        <fieldset>
          <legend>{t('settings.quotas')}</legend>
          {quotaFields.map(({ key }) => (
            <div key={key}>
              {text(key, `settings.quota.${key}`, `quotas.${key}`)}
              {/* The fast cache is sized when the app starts (Memory › Storage says so beside its bar). */}
              {key === 'hotSessionBytes' && <p className="muted field-hint">{t('settings.quota.hotRestart')}</p>}
            </div>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('settings.gemini')}</legend>
          {text('modelEndpoint', 'settings.modelEndpoint', undefined, 'url')}
          {geminiNumbers.map((key) => (
            <div key={key}>{text(key, `settings.${key}`, undefined, 'numeric')}</div>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('settings.usage')}</legend>
          <div data-testid="usage-today">
            {todayUsage === 'unavailable' ? (
              <p className="muted">{t('usage.unavailable')}</p>
            ) : todayUsage ? (
              <>
                <p>
                  {t('usage.today', {
                    total: `${todayUsage.estimated ? '≈ ' : ''}${formatCount(todayUsage.totalTokens, language)}`,
                    turns: formatCount(todayUsage.turns, language),
                    calls: formatCount(todayUsage.modelCalls, language),
                  })}
                </p>
                <p className="muted">
                  {t('usage.detail', {
                    prompt: formatCount(todayUsage.promptTokens, language),
                    output: formatCount(todayUsage.outputTokens, language),
                    cached: formatCount(todayUsage.cachedTokens, language),
                  })}
                </p>
                {todayUsage.estimated && <p className="muted">{t('usage.estimated')}</p>}
              </>
            ) : null}
          </div>
        </fieldset>
        {!storageTrouble && <BackupsSection />}
        <SyncSection />
        {text('backupsKept', 'settings.backupsKept', undefined, 'numeric')}
        <UpdatesSection />
        <fieldset>
          <legend>{t('settings.apiKey')}</legend>
          <p className="muted" data-testid="api-key-state">
            {settings.apiKeySet ? t('settings.apiKey.set') : t('settings.apiKey.notSet')}
            {settings.apiKeyStorage === 'environment' ? ` — ${t('settings.apiKey.environment')}` : ''}
          </p>
          {field(
            'apiKey',
            'settings.apiKey',
            <input
              id="setting-apiKey"
              type="password"
              autoComplete="off"
              value={apiKey}
              placeholder={t('settings.apiKey.placeholder')}
              aria-invalid={errors.has('apiKey')}
              onChange={(event) => setApiKeyDraft(event.target.value)}
            />,
          )}
          <div className="row">
            <button type="button" disabled={apiKey.trim() === ''} onClick={() => void saveKey(apiKey)}>
              {t('settings.apiKey.save')}
            </button>
            <button type="button" disabled={!settings.apiKeySet} onClick={() => void saveKey(null)}>
              {t('settings.apiKey.clear')}
            </button>
          </div>
        </fieldset>
        <p className="status" role="status" data-testid="settings-status">
          {status &&
            (status.saved ? t('settings.saved') : `${t('settings.error')}: ${status.code ? errorText(t, status.code) : t('settings.checkFields')}`)}
        </p>
        <div className="row dialog-actions">
          <button type="button" onClick={() => setOpen(false)} data-testid="settings-close">
            {draft && initialDraft && JSON.stringify(draft) !== JSON.stringify(initialDraft) ? t('settings.cancel') : t('common.close')}
          </button>
          <button type="submit" className="primary">
            {t('settings.save')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
