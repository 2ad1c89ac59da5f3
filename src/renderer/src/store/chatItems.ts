import type { SessionEvent } from '@shared/contract/memory';
import { toolProducts, type ToolProduct } from '@shared/contract/toolResults';
import type { SearchStep } from '@shared/commerce';

/*
 * What the chat shows, as items: from stored session events (a conversation read), from a run's
 * live events (chatStore's `receive`), and both merged when a conversation is read again after the
 * event stream was down. Plain functions with no store and no window.api, so tests run them in Node.
 */

export type ChatItem =
  | { id: string; kind: 'user'; text: string; timestamp: number }
  /** `turnId` is the run that wrote it (the key of its token use); null for events stored without one. */
  | { id: string; kind: 'assistant'; agent: string; text: string; timestamp: number; streaming: boolean; turnId: string | null }
  | { id: string; kind: 'products'; tool: string; products: ToolProduct[]; foundBy: SearchStep | null; tried: string[] }
  | { id: string; kind: 'transfer'; from: string; to: string }
  | { id: string; kind: 'notice'; text: 'cancelled' }
  | { id: string; kind: 'error'; code: string; message: string; retryText: string | null };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Product cards for a tool result that carries products (by the tool's schema in the contract); null otherwise. */
export function productsItem(id: string, tool: string, result: unknown): ChatItem | null {
  const found = toolProducts(tool, result);
  if (!found || found.products.length === 0) return null;
  return { id, kind: 'products', tool: found.tool, products: found.products, foundBy: found.foundBy, tried: found.tried };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (isRecord(content) && typeof content.text === 'string') return content.text;
  return '';
}

/** Stored session events as chat items; tool calls are not shown, their results are. */
export function itemsFromEvents(events: SessionEvent[]): ChatItem[] {
  const items: ChatItem[] = [];
  for (const event of events) {
    if (event.kind === 'message') {
      const text = textOf(event.content);
      // The model's thought parts are kept for Gemini, not shown to staff.
      if (!text || (isRecord(event.content) && event.content.thought === true)) continue;
      items.push(
        event.author === 'user'
          ? { id: event.id, kind: 'user', text, timestamp: event.timestamp }
          : { id: event.id, kind: 'assistant', agent: event.author, text, timestamp: event.timestamp, streaming: false, turnId: event.turnId },
      );
    } else if (event.kind === 'tool_result' && isRecord(event.content)) {
      // The same id the live result had (run and call), so a card's quantity and "Đã thêm" stay when the conversation is read again.
      const callId = typeof event.content.id === 'string' ? event.content.id : null;
      const id = event.turnId && callId ? `${event.turnId}-${callId}` : event.id;
      const item = productsItem(id, String(event.content.name ?? ''), event.content.response);
      if (item) items.push(item);
    } else if (event.kind === 'transfer' && isRecord(event.content)) {
      items.push({ id: event.id, kind: 'transfer', from: String(event.content.from ?? event.author), to: String(event.content.to ?? '') });
    } else if (event.kind === 'error') {
      const message = isRecord(event.content) && typeof event.content.message === 'string' ? event.content.message : textOf(event.content);
      const code = isRecord(event.content) && typeof event.content.code === 'string' ? event.content.code : 'internal';
      // A stop the staff asked for is not an error; the "stopped" note says it.
      if (code === 'cancelled') items.push({ id: event.id, kind: 'notice', text: 'cancelled' });
      else items.push({ id: event.id, kind: 'error', code, message, retryText: null });
    }
  }
  return items;
}

/** Id prefixes of what this window shows before main has it: the staff's message as sent, and a send that failed. */
export const LOCAL_ID = 'local-';
export const SEND_ERROR_ID = 'error-';

/** Shown by this window before main had it (a message whose send failed may never be stored). */
const shownOnlyHere = (item: ChatItem) => item.id.startsWith(LOCAL_ID) || item.id.startsWith(SEND_ERROR_ID);

/** Whether `shown` (maybe from live events, under an id of its own) is the stored `item`. */
function sameItem(shown: ChatItem, item: ChatItem): boolean {
  if (shown.id === item.id) return true;
  switch (shown.kind) {
    case 'user':
      return item.kind === 'user' && item.text === shown.text;
    case 'assistant':
      return item.kind === 'assistant' && item.text === shown.text && item.agent === shown.agent && (item.turnId ?? shown.turnId) === shown.turnId;
    case 'transfer':
      return item.kind === 'transfer' && item.from === shown.from && item.to === shown.to;
    case 'notice':
      return item.kind === 'notice' && item.text === shown.text;
    case 'error':
      return item.kind === 'error' && item.code === shown.code && item.message === shown.message;
    case 'products':
      // Live and stored cards have the same id (run and call).
      return false;
  }
}

/**
 * The conversation as shown, with its newest page read again from main (`page`, oldest first).
 * Older items loaded before the page stay; from there on the page is what main stored. An item
 * already shown for a stored one stays as it is (same object, same id: the list keeps its rows'
 * sizes and place, a card its quantity and "added"). Of what is shown and not stored, what this
 * window added itself stays, and so does the answer still streaming while a run is `running`
 * (unless main stored an answer of that run not shown whole: the bubble showed part of it); the
 * rest came from runs' events, which main has stored whole. `complete` is false when the page
 * starts with an item not shown under its id: what was shown before it cannot be told apart, so
 * the page is all that stays, and older items load again from its cursor.
 */
export function mergeHistory(shown: ChatItem[], page: ChatItem[], running: boolean): { items: ChatItem[]; complete: boolean } {
  if (page.length === 0) return { items: shown, complete: true };
  const start = shown.findIndex((item) => item.id === page[0]!.id);
  const items = start > 0 ? shown.slice(0, start) : [];
  const rest = start > 0 ? shown.slice(start) : shown;
  /** Runs with a stored answer that was not shown whole. */
  const partlyShown = new Set<string | null>();
  let next = 0;
  for (const stored of page) {
    const found = rest.findIndex((item, index) => index >= next && sameItem(item, stored));
    if (found < 0) {
      items.push(stored);
      if (stored.kind === 'assistant') partlyShown.add(stored.turnId);
      continue;
    }
    items.push(...rest.slice(next, found).filter(shownOnlyHere));
    const kept = rest[found]!;
    // Stored means its model turn has ended: later text starts a new bubble.
    items.push(kept.kind === 'assistant' && kept.streaming ? { ...kept, streaming: false } : kept);
    next = found + 1;
  }
  const streaming = (item: ChatItem) => running && item.kind === 'assistant' && item.streaming && !partlyShown.has(item.turnId);
  items.push(...rest.slice(next).filter((item) => shownOnlyHere(item) || streaming(item)));
  return { items, complete: start >= 0 };
}
