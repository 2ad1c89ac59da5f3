import { productsToolResultSchemas } from '@shared/contract/toolResults';

/**
 * Fields a tool result carries for the UI only. The chat event and the session keep the whole
 * result (the renderer's product cards show the image); the model gets the result without them,
 * both when the call is answered and when the conversation is replayed from the session.
 */
const UI_ONLY_FIELDS = new Set(['imageUrl']);

function withoutUiFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUiFields);
  if (value === null || typeof value !== 'object') return value;
  const kept: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (!UI_ONLY_FIELDS.has(key)) kept[key] = withoutUiFields(item);
  return kept;
}

/** What the model is sent as the result of tool `name`: product results lose their UI-only fields (image URLs). */
export function resultForModel(name: string, result: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(productsToolResultSchemas, name)) return result;
  return withoutUiFields(result) as Record<string, unknown>;
}
