import { create } from 'zustand';
import type { ChatEvent } from '@shared/contract/chat';
import type { TokenCounts, UsageTotals } from '@shared/contract/usage';
import type { ErrorCode } from '@shared/errors';
import { ApiError, call } from '../api/client';
import { itemsFromEvents, LOCAL_ID, mergeHistory, productsItem, SEND_ERROR_ID, type ChatItem } from './chatItems';

export type { ChatItem } from './chatItems';

export interface RunState {
  /** Chosen here, before `chat.send`: the run's events are recognised by it from the first one. */
  runId: string;
  /** Null for a message that starts a new conversation, until its first event or `chat.send`'s answer names it. */
  sessionId: string | null;
  /** The tool being called right now, or a transfer target. */
  activity: { tool: string } | { transferTo: string } | null;
  /** Gemini asked the run to wait before it retries; cleared by the next event of the run. */
  waiting: { seconds: number; reason: 'rate_limited' | 'unavailable' } | null;
  /**
   * Some of the run's events may have been missed (the event stream was down while it ran): the
   * conversation is read again when it ends, so what it stored shows whole.
   */
  missed?: true;
}

const PAGE_SIZE = 100;

/**
 * How a conversation is read: following the newest message (the view stays at the end as answers
 * arrive), or read further up, with the number of items that arrived meanwhile and the place staff
 * were reading. Across pane switches the list keeps its scroll position itself (it is never
 * unmounted or taken out of layout); `anchor` brings the place back when staff return to the
 * conversation from another one.
 */
export interface ChatView {
  follow: boolean;
  /** Items that arrived while staff were reading further up. */
  unseen: number;
  /** The first item in view and how far (px) it was scrolled past, while not following. */
  anchor: { id: string; offset: number } | null;
}

const freshView: ChatView = { follow: true, unseen: 0, anchor: null };

/** A product card's own state (quantity chosen, "Đã thêm 2"), by conversation item and SKU. */
export interface CardState {
  quantity: number;
  added: number | null;
}

/** The draft of a conversation, by customer and conversation ('' for the one a first message will start). */
export const draftKey = (userId: string, sessionId: string | null) => `${userId}\n${sessionId ?? ''}`;

/**
 * A fresh run id (a random UUID, version 4). `crypto.randomUUID` exists only in secure contexts
 * (the app and the bridge page on loopback are); the fallback makes the same from random bytes.
 */
export function newRunId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

interface ChatState {
  userId: string | null;
  sessionId: string | null;
  items: ChatItem[];
  olderCursor: string | null;
  loadingOlder: boolean;
  run: RunState | null;
  lastUserText: string | null;
  /** Why the conversation could not be read (its error code), or null. */
  loadError: ErrorCode | null;
  view: ChatView;
  setView(view: Partial<ChatView>): void;
  /** The view of each conversation left for another one, by `draftKey`, brought back when it is opened again. */
  views: Record<string, ChatView>;
  drafts: Record<string, string>;
  setDraft(key: string, text: string): void;
  cards: Record<string, CardState>;
  setCard(key: string, card: Partial<CardState>): void;
  /** Token use of the open conversation's turns, by run id (= the events' turnId). */
  turnUsage: Record<string, TokenCounts>;
  /** The open conversation's total; null until read (or when it cannot be). */
  conversationUsage: UsageTotals | null;
  refreshUsage(): Promise<void>;
  openSession(userId: string, sessionId: string | null): Promise<void>;
  loadOlder(): Promise<void>;
  send(text: string): Promise<string | null>;
  cancel(): Promise<void>;
  receive(event: ChatEvent): void;
  /**
   * The event stream is back after a drop (`bridge_reconnected`): asks main whether this window's
   * run is still under way and reads the open conversation again, merged into what is shown.
   */
  resync(): Promise<void>;
}

/** The latest `resync`: an older one's answers, arriving after a newer one's, are dropped. */
let resyncSeq = 0;

export const useChatStore = create<ChatState>()((set, get) => ({
  userId: null,
  sessionId: null,
  items: [],
  olderCursor: null,
  loadingOlder: false,
  run: null,
  lastUserText: null,
  loadError: null,
  turnUsage: {},
  conversationUsage: null,
  view: freshView,
  setView: (view) => set({ view: { ...get().view, ...view } }),
  views: {},
  drafts: {},
  setDraft(key, text) {
    const drafts = { ...get().drafts };
    if (text === '') delete drafts[key];
    else drafts[key] = text;
    set({ drafts });
  },
  cards: {},
  setCard: (key, card) => set({ cards: { ...get().cards, [key]: { quantity: 1, added: null, ...get().cards[key], ...card } } }),

  async refreshUsage() {
    const { userId, sessionId } = get();
    if (!userId || !sessionId) return;
    try {
      const report = await call('usage.get', { userId, sessionId });
      if (get().userId !== userId || get().sessionId !== sessionId || !report.conversation) return;
      const turnUsage = { ...get().turnUsage };
      for (const turn of report.conversation.turns) turnUsage[turn.runId] = turn;
      set({ turnUsage, conversationUsage: report.conversation.total });
    } catch {
      // Token use is a convenience: without it the chat works the same, just without the figures.
    }
  },

  async openSession(userId, sessionId) {
    const previous = get();
    const views = { ...previous.views };
    // The place in the conversation left is kept for when staff come back to it (a new one has none yet).
    if (previous.userId && previous.sessionId) views[draftKey(previous.userId, previous.sessionId)] = previous.view;
    const kept = sessionId ? views[draftKey(userId, sessionId)] : undefined;
    set({
      userId,
      sessionId,
      items: [],
      olderCursor: null,
      loadError: null,
      loadingOlder: false,
      turnUsage: {},
      conversationUsage: null,
      views,
      view: kept ? { ...kept, unseen: 0 } : freshView,
    });
    if (!sessionId) return;
    void get().refreshUsage();
    try {
      const page = await call('sessions.history', { userId, sessionId, limit: PAGE_SIZE });
      if (get().sessionId !== sessionId) return;
      performance.mark('mm:chat-data'); // for the ui benchmark: render time after data arrives
      set({ items: itemsFromEvents(page.events), olderCursor: page.nextCursor });
    } catch (error) {
      set({ loadError: error instanceof ApiError ? error.code : 'internal' });
    }
  },

  async loadOlder() {
    const { userId, sessionId, olderCursor, loadingOlder } = get();
    if (!userId || !sessionId || !olderCursor || loadingOlder) return;
    set({ loadingOlder: true });
    try {
      const page = await call('sessions.history', { userId, sessionId, before: olderCursor, limit: PAGE_SIZE });
      if (get().sessionId !== sessionId) return;
      set({ items: [...itemsFromEvents(page.events), ...get().items], olderCursor: page.nextCursor });
    } finally {
      set({ loadingOlder: false });
    }
  },

  async send(text) {
    const { userId, sessionId, run } = get();
    if (!userId || run) return null;
    const now = Date.now();
    // The run is known before `chat.send` answers: its first events may arrive before the answer does.
    const runId = newRunId();
    set({
      items: [...get().items, { id: `${LOCAL_ID}${now}`, kind: 'user', text, timestamp: now }],
      lastUserText: text,
      run: { runId, sessionId, activity: null, waiting: null },
    });
    try {
      const started = await call('chat.send', { userId, ...(sessionId ? { sessionId } : {}), message: text, runId });
      // A new conversation is now open here, unless the staff moved on (its first event may have opened it already).
      if (get().userId === userId && get().sessionId === sessionId) set({ sessionId: started.sessionId });
      const current = get().run;
      if (current?.runId === runId && current.sessionId === null) set({ run: { ...current, sessionId: started.sessionId } });
      return started.sessionId;
    } catch (error) {
      const failure = error instanceof ApiError ? error : null;
      set({
        items: [
          ...get().items,
          {
            id: `${SEND_ERROR_ID}${now}`,
            kind: 'error',
            code: failure?.code ?? 'internal',
            message: error instanceof Error ? error.message : String(error),
            retryText: text,
          },
        ],
        run: get().run?.runId === runId ? null : get().run,
      });
      return null;
    }
  },

  async cancel() {
    const { run } = get();
    if (run) await call('chat.cancel', { runId: run.runId });
  },

  receive(event) {
    const active = get().run;
    // Only the run this window started, recognised by the id it chose (other windows' runs are theirs).
    if (!active || event.runId !== active.runId) return;
    if (active.sessionId !== null && event.sessionId !== active.sessionId) return;
    // The first event of a run that started a new conversation names it, if that conversation is still the open one.
    if (active.sessionId === null && get().sessionId === null && get().userId === event.userId) set({ sessionId: event.sessionId });
    if (event.userId !== get().userId || event.sessionId !== get().sessionId) {
      // The staff opened another conversation meanwhile: nothing to show there, but the run has ended.
      if (event.type === 'done') set({ run: null });
      return;
    }
    // A wait Gemini asked for lasts until the run's next event, whatever it is.
    const run: RunState = active.waiting || active.sessionId === null ? { ...active, sessionId: event.sessionId, waiting: null } : active;
    const items = [...get().items];
    const last = items[items.length - 1];
    const streamingId = `${event.runId}-text-${event.seq}`;
    switch (event.type) {
      case 'text':
        if (last?.kind === 'assistant' && last.streaming) items[items.length - 1] = { ...last, text: last.text + event.delta };
        else {
          items.push({
            id: streamingId,
            kind: 'assistant',
            agent: event.agent,
            text: event.delta,
            timestamp: Date.now(),
            streaming: true,
            turnId: event.runId,
          });
        }
        set({ items, run: { ...run, activity: null } });
        return;
      case 'text_replaced':
        if (last?.kind === 'assistant' && last.streaming) items[items.length - 1] = { ...last, text: event.text };
        set({ items, run });
        return;
      case 'tool_call':
        set({ items: closeStreaming(items), run: { ...run, activity: { tool: event.name } } });
        return;
      case 'tool_result': {
        const item = event.ok ? productsItem(`${event.runId}-${event.callId}`, event.name, event.result) : null;
        set({ items: item ? [...items, item] : items, run });
        return;
      }
      case 'transfer':
        set({
          items: [...closeStreaming(items), { id: `${event.runId}-transfer-${event.seq}`, kind: 'transfer', from: event.from, to: event.to }],
          run: { ...run, activity: { transferTo: event.to } },
        });
        return;
      case 'retry_wait':
        set({ run: { ...run, waiting: { seconds: event.seconds, reason: event.reason } } });
        return;
      case 'usage': {
        const { promptTokens, outputTokens, cachedTokens, totalTokens, modelCalls, estimated } = event;
        set({
          run,
          turnUsage: { ...get().turnUsage, [event.runId]: { promptTokens, outputTokens, cachedTokens, totalTokens, modelCalls, estimated } },
        });
        return;
      }
      case 'error':
        // A stop the staff asked for is not an error; `done` adds the "stopped" note.
        if (event.error.code === 'cancelled') {
          if (run !== active) set({ run });
          return;
        }
        set({
          items: [
            ...closeStreaming(items),
            { id: `${event.runId}-error`, kind: 'error', code: event.error.code, message: event.error.message, retryText: get().lastUserText },
          ],
          run,
        });
        return;
      case 'done': {
        const closed = closeStreaming(items);
        if (event.status === 'cancelled') closed.push({ id: `${event.runId}-cancelled`, kind: 'notice', text: 'cancelled' });
        set({ items: closed, run: null });
        // Events of the run were missed: what it stored is read now that it is all there.
        if (active.missed) void get().resync();
        // The conversation's total now includes this turn (recorded before `done`).
        else void get().refreshUsage();
        return;
      }
      default:
        if (run !== active) set({ run });
        return;
    }
  },

  async resync() {
    const seq = ++resyncSeq;
    const { userId, run } = get();
    if (!userId) return;
    // Asked before the history is read: a run main says has ended has stored all it will store by then.
    let running = run !== null;
    if (run) {
      try {
        running = (await call('chat.status', { runId: run.runId })).running;
      } catch {
        // Main cannot say: the run shows as it was, and its `done` ends it as usual.
      }
      if (seq !== resyncSeq) return;
      const now = get().run;
      if (now?.runId === run.runId) {
        // Still under way: what it is doing now is unknown until its next event, and when it ends it is read again.
        if (running) set({ run: { ...now, activity: null, waiting: null, missed: true } });
        // Ended while the stream was down (its `done` never came): the chat is free again.
        else set({ run: null, items: closeStreaming(get().items) });
      }
    }
    const { sessionId } = get();
    if (get().userId !== userId || !sessionId) return;
    void get().refreshUsage();
    try {
      const page = await call('sessions.history', { userId, sessionId, limit: PAGE_SIZE });
      // Another conversation was opened meanwhile (it was read when opened), or a newer read came first.
      if (seq !== resyncSeq || get().userId !== userId || get().sessionId !== sessionId) return;
      // A run still under way here (the one asked about, or one staff started since) keeps its streaming answer.
      const merged = mergeHistory(get().items, itemsFromEvents(page.events), get().run !== null);
      set({ items: merged.items, loadError: null, ...(merged.complete ? {} : { olderCursor: page.nextCursor }) });
    } catch {
      // What is shown stays; the conversation is read again when it is opened.
    }
  },
}));

function closeStreaming(items: ChatItem[]): ChatItem[] {
  const last = items[items.length - 1];
  if (last?.kind === 'assistant' && last.streaming) return [...items.slice(0, -1), { ...last, streaming: false }];
  return items;
}
