import { create } from 'zustand';
import type { JsonValue, MemoryEntryView, SessionView, SummaryView } from '@shared/contract/memory';
import type { ErrorCode } from '@shared/errors';
import { foldAccents } from '@shared/text';
import { ApiError, call } from '../api/client';

/** How the profile groups what the assistant learned about a customer. */
export const profileSections = ['likes', 'avoids', 'usual', 'notes'] as const;
export type ProfileSection = (typeof profileSections)[number];

/** How an item is edited in the profile: as one text, as one line per item (a list of texts), or only in Storage (structured JSON). */
export type EditKind = 'text' | 'lines' | 'structured';

export interface ProfileItem {
  entry: MemoryEntryView;
  /** The stored value; undefined while it loads, or for a value too large to show here. */
  value: JsonValue | undefined;
  section: ProfileSection;
  edit: EditKind;
}

/** Values larger than this are not read into the profile (they are shown by size, and open in Storage). */
export const PROFILE_VALUE_MAX_BYTES = 64 * 1024;
const PAGE_SIZE = 100;
/** Reads of values at once. */
const CONCURRENCY = 4;
/** How long a forgotten item can be brought back before it is deleted. */
export const UNDO_FORGET_MS = 6_000;

/**
 * The key prefixes the profile writes (`likes:…`, `notes:…`), and what the assistant's own keys and
 * values tend to say (its keys are `note:` and the fact's first words, whatever the fact is).
 */
const prefixes: Record<ProfileSection, string> = { likes: 'likes', avoids: 'avoids', usual: 'usual', notes: 'notes' };
const AVOIDS =
  /\b(khong thich|khong an|khong uong|khong dung|khong mua|khong muon|tranh|di ung|kieng|ghet|avoids?|allerg\w*|dislikes?|does ?n[o']t like)\b/;
const LIKES = /\b(thich|yeu thich|hay dung|uu tien|chuong|prefers?|preferred|likes?|loves?|favou?rites?)\b/;
const USUAL =
  /\b(thuong mua|hay mua|mua thuong xuyen|moi tuan|hang tuan|hang thang|don hang|lich su mua|lich su don|usual(ly)?|regular(ly)?|every week|always buys|orders?)\b/;

/** The value as words (for grouping); structured values by their leaves. */
export function plainText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(plainText).join('\n');
  return Object.entries(value)
    .map(([key, item]) => `${key}: ${plainText(item)}`)
    .join('\n');
}

/** Which section an entry goes in: by the prefix the profile wrote, else by what its key and value say. */
export function sectionOf(key: string, value: JsonValue | undefined): ProfileSection {
  const prefix = key.split(':')[0]!.toLowerCase();
  for (const section of profileSections) if (prefix === prefixes[section]) return section;
  const words = foldAccents(`${key.replace(/[_:.-]+/g, ' ')} ${plainText(value).slice(0, 2000)}`);
  if (AVOIDS.test(words)) return 'avoids';
  if (LIKES.test(words)) return 'likes';
  if (USUAL.test(words)) return 'usual';
  return 'notes';
}

export function editKindOf(value: JsonValue | undefined): EditKind {
  if (value === undefined || value === null || typeof value !== 'object') return 'text';
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? 'lines' : 'structured';
}

/**
 * What staff typed, as the value to store: a list stays a list (one item per line), a number or a
 * yes/no stays one when the text still is one, and anything else is stored as the text itself.
 */
export function valueFromText(text: string, previous: JsonValue | undefined): JsonValue {
  const trimmed = text.trim();
  if (Array.isArray(previous)) {
    return trimmed
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  }
  if (typeof previous === 'number' && /^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (typeof previous === 'boolean' && /^(true|false)$/.test(trimmed)) return trimmed === 'true';
  return trimmed;
}

/** A key for a new item: the section's prefix and the first words, folded (`avoids:khong-an-cay`), unique among `taken`. */
export function keyFor(section: ProfileSection, text: string, taken: ReadonlySet<string>): string {
  const words = foldAccents(text)
    .replace(/[^a-z0-9\s]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 6);
  const base = `${prefixes[section]}:${words.join('-').slice(0, 60) || 'item'}`;
  let key = base;
  for (let n = 2; taken.has(key); n++) key = `${base}-${n}`;
  return key;
}

const codeOf = (error: unknown): ErrorCode => (error instanceof ApiError ? error.code : 'internal');
const sameEntry = (a: MemoryEntryView, b: MemoryEntryView) => a.userId === b.userId && a.sessionId === b.sessionId && a.key === b.key;
const scopeOf = (entry: MemoryEntryView) => ({ userId: entry.userId, ...(entry.sessionId ? { sessionId: entry.sessionId } : {}) });

interface PendingForget {
  item: ProfileItem;
  timer: ReturnType<typeof setTimeout>;
}

interface ProfileState {
  userId: string | null;
  items: ProfileItem[];
  nextCursor: string | null;
  loading: boolean;
  error: ErrorCode | null;
  /** The customer's conversations, newest first, and the summaries of those summarized. */
  sessions: SessionView[];
  summaries: SummaryView[];
  /** An item forgotten a moment ago, deleted once the undo time has passed. */
  forgotten: ProfileItem | null;
  /** Shows a customer's profile (read again when it is the one already shown). */
  load(userId: string | null): Promise<void>;
  /** The profile left the screen: values still to read are not read. */
  pause(): void;
  /** Reads the list again (after a change made elsewhere), keeping values already read. */
  refresh(): Promise<void>;
  loadMore(): Promise<void>;
  /** Saves what staff typed; null when saved, else the error code. */
  save(item: ProfileItem, text: string): Promise<ErrorCode | null>;
  add(section: ProfileSection, text: string): Promise<ErrorCode | null>;
  forget(item: ProfileItem): void;
  undoForget(): void;
  /** Deletes a pending forget now (customer changed, page closing). */
  flushForget(): Promise<void>;
}

/** The customer profile of the Memory pane: what the assistant learned about the customer being served, for staff. */
export const useProfileStore = create<ProfileState>()((set, get) => {
  let pending: PendingForget | null = null;
  /** Newest `load`: answers for an older one are dropped. */
  let loadSeq = 0;

  function toItem(entry: MemoryEntryView, value: JsonValue | undefined): ProfileItem {
    return { entry, value, section: sectionOf(entry.key, value), edit: editKindOf(value) };
  }

  /** Reads the values the list lacks, a few at a time; the list regroups as they arrive. */
  async function readValues(userId: string, seq: number): Promise<void> {
    const queue = get().items.filter((item) => item.value === undefined && item.entry.sizeBytes <= PROFILE_VALUE_MAX_BYTES);
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const entry = item.entry;
        try {
          const read = await call('memory.get', { ...scopeOf(entry), key: entry.key });
          if (seq !== loadSeq || get().userId !== userId) return;
          set({
            items: get().items.map((current) =>
              sameEntry(current.entry, entry) ? toItem({ ...current.entry, ...withoutValue(read) }, read.value) : current,
            ),
          });
        } catch {
          // Gone meanwhile (forgotten elsewhere): the next refresh drops it.
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  async function page(userId: string, cursor: string | null, seq: number): Promise<void> {
    const listed = await call('memory.list', { userId, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    if (seq !== loadSeq || get().userId !== userId) return;
    const known = new Map(get().items.map((item) => [`${item.entry.sessionId ?? ''}\n${item.entry.key}`, item]));
    const hidden = get().forgotten?.entry;
    const fresh = listed.items
      .filter((entry) => !(hidden && sameEntry(hidden, entry)))
      .map((entry) => {
        const old = known.get(`${entry.sessionId ?? ''}\n${entry.key}`);
        // A value read before stays while the entry is unchanged.
        return old && old.entry.updatedAt === entry.updatedAt ? { ...old, entry } : toItem(entry, undefined);
      });
    performance.mark('mm:profile-data'); // for the ui benchmark: render time after data arrives
    set({ items: cursor ? [...get().items, ...fresh] : fresh, nextCursor: listed.nextCursor, error: null });
  }

  async function conversations(userId: string, seq: number): Promise<void> {
    try {
      const [{ sessions }, { summaries }] = await Promise.all([call('sessions.list', { userId }), call('memory.summaries', { userId })]);
      if (seq !== loadSeq || get().userId !== userId) return;
      const newest = [...sessions].sort((a, b) => (b.lastEventAt ?? b.createdAt) - (a.lastEventAt ?? a.createdAt));
      set({ sessions: newest, summaries });
    } catch {
      // The profile's memories still show; conversations are shown when they can be read.
    }
  }

  return {
    userId: null,
    items: [],
    nextCursor: null,
    loading: false,
    error: null,
    sessions: [],
    summaries: [],
    forgotten: null,

    async load(userId) {
      if (userId !== null && userId === get().userId && get().items.length > 0) return get().refresh();
      if (get().userId !== userId) await get().flushForget();
      const seq = ++loadSeq;
      set({ userId, items: [], nextCursor: null, error: null, sessions: [], summaries: [], loading: userId !== null });
      if (!userId) return;
      try {
        await Promise.all([page(userId, null, seq), conversations(userId, seq)]);
        await readValues(userId, seq);
      } catch (error) {
        if (seq === loadSeq) set({ error: codeOf(error) });
      } finally {
        if (seq === loadSeq) set({ loading: false });
      }
    },
    pause() {
      loadSeq++;
      set({ loading: false });
    },
    async refresh() {
      const { userId } = get();
      if (!userId) return;
      const seq = loadSeq;
      try {
        await Promise.all([page(userId, null, seq), conversations(userId, seq)]);
        await readValues(userId, seq);
      } catch (error) {
        if (seq === loadSeq) set({ error: codeOf(error) });
      }
    },
    async loadMore() {
      const { userId, nextCursor, loading } = get();
      if (!userId || !nextCursor || loading) return;
      const seq = loadSeq;
      set({ loading: true });
      try {
        await page(userId, nextCursor, seq);
        await readValues(userId, seq);
      } catch (error) {
        set({ error: codeOf(error) });
      } finally {
        set({ loading: false });
      }
    },
    async save(item, text) {
      if (text.trim() === '') return 'invalid_request';
      try {
        const saved = await call('memory.put', { ...scopeOf(item.entry), key: item.entry.key, value: valueFromText(text, item.value) });
        set({ items: get().items.map((current) => (sameEntry(current.entry, item.entry) ? toItem(withoutValue(saved), saved.value) : current)) });
        return null;
      } catch (error) {
        return codeOf(error);
      }
    },
    async add(section, text) {
      const { userId } = get();
      if (!userId) return 'invalid_request';
      if (text.trim() === '') return 'invalid_request';
      const key = keyFor(section, text, new Set(get().items.map((item) => item.entry.key)));
      try {
        const saved = await call('memory.put', { userId, key, value: text.trim() });
        // Grouped where staff put it, whatever the words say.
        set({ items: [{ ...toItem(withoutValue(saved), saved.value), section }, ...get().items] });
        return null;
      } catch (error) {
        return codeOf(error);
      }
    },
    forget(item) {
      void get().flushForget();
      const timer = setTimeout(() => void get().flushForget(), UNDO_FORGET_MS);
      pending = { item, timer };
      set({ forgotten: item, items: get().items.filter((current) => !sameEntry(current.entry, item.entry)) });
    },
    undoForget() {
      if (!pending) return;
      clearTimeout(pending.timer);
      const { item } = pending;
      pending = null;
      set({ forgotten: null, items: get().userId === item.entry.userId ? [item, ...get().items] : get().items });
    },
    async flushForget() {
      if (!pending) return;
      const { item, timer } = pending;
      clearTimeout(timer);
      pending = null;
      set({ forgotten: null });
      try {
        await call('memory.forget', { ...scopeOf(item.entry), key: item.entry.key });
      } catch (error) {
        // Not forgotten after all: it shows again, with why.
        set({ error: codeOf(error), items: get().userId === item.entry.userId ? [item, ...get().items] : get().items });
      }
    },
  };
});

function withoutValue<T extends MemoryEntryView & { value: JsonValue }>(view: T): MemoryEntryView {
  const { value: _value, ...entry } = view;
  return entry;
}
