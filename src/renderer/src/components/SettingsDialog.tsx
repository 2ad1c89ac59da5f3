import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { languages, type QuotaSettings, type SettingsPatch } from '../../../shared/settings';
import { fieldErrors, type FieldIssue } from '../api/client';
import { useT, type Translate } from '../i18n';
import type { StringKey } from '../i18n/strings';
import { useAppStore } from '../store/appStore';

const MB = 1024 * 1024;
const quotaFields: { key: keyof QuotaSettings; unit: number }[] = [
  { key: 'hotSessionBytes', unit: MB },
  { key: 'warmUserBytes', unit: MB },
  { key: 'coldUserBytes', unit: MB },
  { key: 'warmTtlDays', unit: 1 },
  { key: 'coldRetentionDays', unit: 1 },
];

const localizedIssues = new Set(['invalid_format', 'invalid_type', 'too_small', 'too_big', 'invalid_value']);

/** zod's English message, replaced by the staff's language where the kind of problem is a common one. */
function issueText(t: Translate, issue: FieldIssue): string {
  return localizedIssues.has(issue.code) ? t(`validation.${issue.code}` as StringKey) : issue.message;
}

type Draft = Record<'model' | 'storeEndpoint' | 'storeCode' | 'language' | keyof QuotaSettings, string> & { demoStore: boolean };

/** Settings form; invalid values are refused by main and the message is shown next to the field. */
export function SettingsDialog() {
  const t = useT();
  const settings = useAppStore((state) => state.settings);
  const open = useAppStore((state) => state.settingsOpen);
  const setOpen = useAppStore((state) => state.setSettingsOpen);
  const saveSettings = useAppStore((state) => state.saveSettings);
  const setApiKey = useAppStore((state) => state.setApiKey);
  const dialog = useRef<HTMLDialogElement>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<Map<string, FieldIssue>>(new Map());
  // Kept as data, not text, so it shows in the language chosen by the save itself.
  // `message` is null when the problems are shown next to their fields.
  const [status, setStatus] = useState<{ saved: true } | { saved: false; message: string | null } | null>(null);
  const [apiKey, setApiKeyDraft] = useState('');

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  useEffect(() => {
    if (!open || !settings) return;
    setDraft({
      model: settings.model,
      storeEndpoint: settings.storeEndpoint,
      storeCode: settings.storeCode,
      language: settings.language,
      demoStore: settings.demoStore,
      ...(Object.fromEntries(quotaFields.map(({ key, unit }) => [key, String(settings.quotas[key] / unit)])) as Record<
        keyof QuotaSettings,
        string
      >),
    });
    setErrors(new Map());
    setStatus(null);
    setApiKeyDraft('');
  }, [open, settings]);

  if (!settings) return null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!draft) return;
    const patch: SettingsPatch = {
      model: draft.model,
      storeEndpoint: draft.storeEndpoint,
      storeCode: draft.storeCode,
      language: draft.language as SettingsPatch['language'],
      demoStore: draft.demoStore,
      quotas: Object.fromEntries(quotaFields.map(({ key, unit }) => [key, Math.round(Number(draft[key]) * unit)])),
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
      setStatus({ saved: false, message: fields.size > 0 ? null : error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  const field = (key: string, label: StringKey, input: ReactNode, path: string = key) => (
    <div className="field">
      <label htmlFor={`setting-${key}`}>{t(label)}</label>
      {input}
      {errors.has(path) && (
        <span className="field-error" id={`setting-${key}-error`} role="alert">
          {issueText(t, errors.get(path)!)}
        </span>
      )}
    </div>
  );
  const text = (key: Exclude<keyof Draft, 'demoStore'>, label: StringKey, path?: string) =>
    field(
      key,
      label,
      <input
        id={`setting-${key}`}
        name={key}
        value={draft?.[key] ?? ''}
        aria-invalid={errors.has(path ?? key)}
        aria-describedby={errors.has(path ?? key) ? `setting-${key}-error` : undefined}
        onChange={(event) => setDraft((current) => (current ? { ...current, [key]: event.target.value } : current))}
      />,
      path,
    );

  return (
    <dialog ref={dialog} className="settings-dialog" aria-labelledby="settings-title" onClose={() => setOpen(false)}>
      <form onSubmit={submit} noValidate>
        <h2 id="settings-title">{t('settings.title')}</h2>
        {text('model', 'settings.model')}
        {text('storeEndpoint', 'settings.storeEndpoint')}
        {text('storeCode', 'settings.storeCode')}
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
            <div key={key}>{text(key, `settings.quota.${key}`, `quotas.${key}`)}</div>
          ))}
        </fieldset>
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
          {status && (status.saved ? t('settings.saved') : `${t('settings.error')}: ${status.message ?? t('settings.checkFields')}`)}
        </p>
        <div className="row dialog-actions">
          <button type="button" onClick={() => setOpen(false)}>
            {t('settings.cancel')}
          </button>
          <button type="submit" className="primary">
            {t('settings.save')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
