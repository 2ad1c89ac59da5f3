import { defaultSettings } from '@shared/settings';
import type { Logger } from '../core/logger';
import { GeminiModelClient, type GeminiClientOptions } from './geminiClient';
import type { ModelClient } from './model';
import { OfflinePlanner } from './offline/planner';

/** How the Gemini client of a run was built (never the key); what Settings and the environment gave. */
export interface GeminiConnection {
  /** The gateway in front of Gemini, or null for Google's public endpoint. */
  baseUrl: string | null;
  firstChunkTimeoutMs: number;
  stallTimeoutMs: number;
}

export interface ResolvedModel {
  client: ModelClient;
  name: string;
  /** Present when the client is Gemini. */
  connection?: GeminiConnection;
}

export interface ModelSettings {
  apiKey(): string | null;
  /** The Gemini settings; those left out take their defaults. */
  get(): { model: string; modelEndpoint?: string; firstChunkTimeoutSeconds?: number; stallTimeoutSeconds?: number };
}

/**
 * Gemini when an API key is set, else the embedded offline planner. Read at every run, so a new
 * key, model, endpoint or timeout takes effect with the next message, without a restart; the Gemini
 * client is rebuilt only when the key, the endpoint or a timeout changed. The endpoint setting wins
 * over `GEMINI_BASE_URL`, which applies while the setting is empty.
 */
export function createModelResolver(
  settings: ModelSettings,
  env: Readonly<Record<string, string | undefined>> = {},
  retry?: GeminiClientOptions['retry'],
  /** The agent's logger, for the Gemini client's retry waits and failures. */
  logger?: Logger,
): () => ResolvedModel {
  const offline = new OfflinePlanner();
  let cached: { key: string; client: GeminiModelClient; connection: GeminiConnection } | null = null;
  return () => {
    const apiKey = settings.apiKey();
    const current = settings.get();
    const name = current.model;
    if (!apiKey) return { client: offline, name };
    const connection: GeminiConnection = {
      baseUrl: current.modelEndpoint?.trim() || env.GEMINI_BASE_URL?.trim() || null,
      firstChunkTimeoutMs: (current.firstChunkTimeoutSeconds ?? defaultSettings.firstChunkTimeoutSeconds) * 1000,
      stallTimeoutMs: (current.stallTimeoutSeconds ?? defaultSettings.stallTimeoutSeconds) * 1000,
    };
    const cacheKey = [apiKey, connection.baseUrl ?? '', connection.firstChunkTimeoutMs, connection.stallTimeoutMs].join('\u0000');
    if (cached?.key !== cacheKey) {
      const options: GeminiClientOptions = {
        apiKey,
        ...(connection.baseUrl ? { baseUrl: connection.baseUrl } : {}),
        firstChunkTimeoutMs: connection.firstChunkTimeoutMs,
        stallTimeoutMs: connection.stallTimeoutMs,
        ...(retry ? { retry } : {}),
        ...(logger ? { logger } : {}),
      };
      cached = { key: cacheKey, client: new GeminiModelClient(options), connection: Object.freeze(connection) };
    }
    return { client: cached.client, name, connection: cached.connection };
  };
}
