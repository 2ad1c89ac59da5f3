import { z } from 'zod';

export const languages = ['vi', 'en'] as const;
export type Language = (typeof languages)[number];

const MB = 1024 * 1024;

export const quotaSettingsSchema = z
  .object({
    hotSessionBytes: z
      .number()
      .int()
      .min(MB)
      .max(1024 * MB),
    warmUserBytes: z
      .number()
      .int()
      .min(MB)
      .max(16 * 1024 * MB),
    coldUserBytes: z
      .number()
      .int()
      .min(MB)
      .max(64 * 1024 * MB),
    warmTtlDays: z.number().int().min(1).max(365),
    coldRetentionDays: z.number().int().min(1).max(3650),
    /** A conversation is summarized (its messages archived) once it had no new message for this many days. */
    summarizeAfterDays: z.number().int().min(1).max(365),
  })
  .strict();

export type QuotaSettings = z.infer<typeof quotaSettingsSchema>;

/** A Magento store view code such as `b2c_10010_vi`. */
export const storeCodeSchema = z.string().regex(/^[a-z0-9_]{1,64}$/, 'store code: lowercase letters, digits and _');

/** Current Gemini models, offered as a list in Settings; any other id matching the pattern is allowed too. */
export const geminiModels = [
  'gemini-3.6-flash',
  'gemini-3.8-flash',
  'gemini-3.7-flash',
  'gemini-3.5-flash',
  'gemini-3.5-flash-lite',
  'gemini-3.1-pro-preview',
  'gemini-3.1-flash-lite',
  'gemini-3-flash-preview',
  'gemini-2.5-flash',
  'gemini-2.5-pro',
  'gemini-2.5-flash-lite',
] as const;

export const defaultGeminiModel: (typeof geminiModels)[number] = 'gemini-3.6-flash';

/** A Gemini model id: `gemini-` then lowercase letters, digits, dots and dashes. */
export const geminiModelPattern = /^gemini-[a-z0-9][a-z0-9.-]{0,62}$/;

export const geminiModelSchema = z
  .string()
  .trim()
  .regex(geminiModelPattern, 'model: a Gemini model id such as gemini-3.6-flash (lowercase letters, digits, . and -)');

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https anywhere; plain http only to this machine (a local gateway), so the key never crosses a network in clear. */
export function isAllowedModelEndpoint(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '' || url.hostname === '') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && loopbackHosts.has(url.hostname);
}

/**
 * The store's GraphQL endpoint: https, or plain http only to this machine (the demo store, a
 * stand-in): the catalog, prices and carts never cross a network in clear (Electron's security
 * checklist, item 1). Settings shows `validation.field.storeEndpoint` in the staff's language.
 */
export const storeEndpointSchema = z
  .string()
  .trim()
  .max(2000)
  .refine(isAllowedModelEndpoint, 'store endpoint: an https URL, or http only on 127.0.0.1, localhost or [::1]');

/** True for the addresses of this machine that plain http is allowed to (the demo store, local stand-ins and gateways). */
export function isLoopbackHost(hostname: string): boolean {
  return loopbackHosts.has(hostname);
}

/**
 * Where the app looks for updates (the folder holding `latest.yml`, `latest-mac.yml`,
 * `latest-linux.yml`); '' means the URL set when the app was built. Same rule as the endpoints.
 */
export const updateFeedUrlSchema = z
  .string()
  .trim()
  .max(2000)
  .refine(
    (value) => value === '' || isAllowedModelEndpoint(value),
    'update server: an https URL, or http only on 127.0.0.1, localhost or [::1]; empty for the one set at build time',
  );

/** A company gateway in front of Gemini; '' means Google's public endpoint (or `GEMINI_BASE_URL`). */
export const modelEndpointSchema = z
  .string()
  .trim()
  .max(2000)
  .refine(
    (value) => value === '' || isAllowedModelEndpoint(value),
    "model endpoint: an https URL, or http only on 127.0.0.1, localhost or [::1]; empty for Google's endpoint",
  );

/** Bounds of the numeric Gemini settings (Settings shows them with a refused value). */
export const geminiLimits = {
  contextTokenBudget: { min: 2000, max: 1_000_000 },
  firstChunkTimeoutSeconds: { min: 5, max: 300 },
  stallTimeoutSeconds: { min: 5, max: 300 },
} as const;

/** How long a search, product or cart call may keep staff waiting, retries included (seconds). */
export const storeDeadlineLimits = { min: 3, max: 60 } as const;

const bounded = ({ min, max }: { min: number; max: number }) => z.number().int().min(min).max(max);

export const settingsSchema = z
  .object({
    model: geminiModelSchema,
    modelEndpoint: modelEndpointSchema,
    /** Tokens one model request may use; the context is fitted to it. */
    contextTokenBudget: bounded(geminiLimits.contextTokenBudget),
    /** How long Gemini may take to send the first chunk of an answer. */
    firstChunkTimeoutSeconds: bounded(geminiLimits.firstChunkTimeoutSeconds),
    /** How long a started answer may stay silent. */
    stallTimeoutSeconds: bounded(geminiLimits.stallTimeoutSeconds),
    storeEndpoint: storeEndpointSchema,
    storeCode: storeCodeSchema,
    /** An interactive store call (search, product, cart) answers or fails within this many seconds. */
    storeDeadlineSeconds: bounded(storeDeadlineLimits),
    demoStore: z.boolean(),
    language: z.enum(languages),
    quotas: quotaSettingsSchema,
    /** How many daily backups of the data file are kept (the oldest goes first). */
    backupsKept: z.number().int().min(1).max(90),
    /** Automatic updates (desktop app): off means no check, no download and no install on quit. */
    updatesEnabled: z.boolean(),
    /** The update server set by the store's IT staff; '' for the one set at build time. */
    updateFeedUrl: updateFeedUrlSchema,
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;

/** A partial update; nested quotas may be partial too. */
export const settingsPatchSchema = settingsSchema
  .omit({ quotas: true })
  .partial()
  .extend({ quotas: quotaSettingsSchema.partial().optional() })
  .strict();

export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export const defaultSettings: Settings = {
  model: defaultGeminiModel,
  modelEndpoint: '',
  contextTokenBudget: 16_000,
  firstChunkTimeoutSeconds: 30,
  stallTimeoutSeconds: 20,
  storeEndpoint: 'https://online.mmvietnam.com/graphql',
  storeCode: 'b2c_10010_vi',
  storeDeadlineSeconds: 10,
  demoStore: false,
  language: 'vi',
  quotas: {
    hotSessionBytes: 50 * MB,
    warmUserBytes: 200 * MB,
    coldUserBytes: 500 * MB,
    warmTtlDays: 7,
    coldRetentionDays: 30,
    summarizeAfterDays: 7,
  },
  backupsKept: 7,
  updatesEnabled: true,
  updateFeedUrl: '',
};

/** What the renderer sees: the settings plus whether an API key is stored, never the key itself. */
export interface SettingsView extends Settings {
  apiKeySet: boolean;
  /** Where the key lives: OS keychain (desktop) or the process environment (bridge). */
  apiKeyStorage: 'safeStorage' | 'environment' | 'memory';
}
