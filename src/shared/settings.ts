import { z } from 'zod';

export const languages = ['vi', 'en'] as const;
export type Language = (typeof languages)[number];

const MB = 1024 * 1024;

export const quotaSettingsSchema = z
  .object({
    hotSessionBytes: z.number().int().min(MB).max(1024 * MB),
    warmUserBytes: z.number().int().min(MB).max(16 * 1024 * MB),
    coldUserBytes: z.number().int().min(MB).max(64 * 1024 * MB),
    warmTtlDays: z.number().int().min(1).max(365),
    coldRetentionDays: z.number().int().min(1).max(3650),
  })
  .strict();

export type QuotaSettings = z.infer<typeof quotaSettingsSchema>;

/** A Magento store view code such as `b2c_10010_vi`. */
export const storeCodeSchema = z.string().regex(/^[a-z0-9_]{1,64}$/, 'store code: lowercase letters, digits and _');

export const storeEndpointSchema = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'store endpoint must be an http(s) URL');

export const settingsSchema = z
  .object({
    model: z.string().trim().min(1).max(100),
    storeEndpoint: storeEndpointSchema,
    storeCode: storeCodeSchema,
    demoStore: z.boolean(),
    language: z.enum(languages),
    quotas: quotaSettingsSchema,
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
  model: 'gemini-2.5-flash',
  storeEndpoint: 'https://online.mmvietnam.com/graphql',
  storeCode: 'b2c_10010_vi',
  demoStore: false,
  language: 'vi',
  quotas: {
    hotSessionBytes: 50 * MB,
    warmUserBytes: 200 * MB,
    coldUserBytes: 500 * MB,
    warmTtlDays: 7,
    coldRetentionDays: 30,
  },
};

/** What the renderer sees: the settings plus whether an API key is stored, never the key itself. */
export interface SettingsView extends Settings {
  apiKeySet: boolean;
  /** Where the key lives: OS keychain (desktop) or the process environment (bridge). */
  apiKeyStorage: 'safeStorage' | 'environment' | 'memory';
}
