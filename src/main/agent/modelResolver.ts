import { GeminiModelClient, type GeminiClientOptions } from './geminiClient';
import type { ModelClient } from './model';
import { OfflinePlanner } from './offline/planner';

export interface ResolvedModel {
  client: ModelClient;
  name: string;
}

export interface ModelSettings {
  apiKey(): string | null;
  get(): { model: string };
}

/**
 * Gemini when an API key is set, else the embedded offline planner. Read at every run, so setting
 * or clearing the key takes effect with the next message; the Gemini client is rebuilt only when
 * the key or the endpoint changes.
 */
export function createModelResolver(
  settings: ModelSettings,
  env: Readonly<Record<string, string | undefined>> = {},
  retry?: GeminiClientOptions['retry'],
): () => ResolvedModel {
  const offline = new OfflinePlanner();
  let cached: { key: string; client: GeminiModelClient } | null = null;
  return () => {
    const apiKey = settings.apiKey();
    const name = settings.get().model;
    if (!apiKey) return { client: offline, name };
    const baseUrl = env.GEMINI_BASE_URL?.trim() || undefined;
    const cacheKey = `${apiKey}\u0000${baseUrl ?? ''}`;
    if (cached?.key !== cacheKey) {
      cached = { key: cacheKey, client: new GeminiModelClient({ apiKey, ...(baseUrl ? { baseUrl } : {}), ...(retry ? { retry } : {}) }) };
    }
    return { client: cached.client, name };
  };
}
