import type { JsonValue, SessionEvent, SummaryRecord } from '../../shared/contract/memory';
import { isAppError } from '../../shared/errors';
import type { Language } from '../../shared/settings';
import { foldAccents } from '../../shared/text';
import type { ModelContent, ModelPart } from './model';
import type { MemoryContextSource, Scope } from './ports';

export interface ContextPolicy {
  /** How many recent session events go to the model (default 20). */
  recentEvents: number;
  /** How many relevant memories (search_memory top-k). */
  memories: number;
}

export const defaultContextPolicy: ContextPolicy = { recentEvents: 20, memories: 5 };

/**
 * Turns stored events into model turns. Gemini rejects a call without its response and the other
 * way round, so the window starts at a user message (never at a response whose call was cut off)
 * and a call whose run was cancelled before it answered is left out with nothing in its place.
 * Transfers, errors and summaries are bookkeeping, not conversation, and are left out too.
 */
export function contentsFromEvents(events: readonly SessionEvent[]): ModelContent[] {
  const start = events.findIndex((event) => event.author === 'user' && event.kind === 'message');
  if (start < 0) return [];
  const window = events.slice(start);
  const answered = new Set(window.flatMap((event) => (event.kind === 'tool_result' ? [callIdOf(event)] : [])));
  const called = new Set(window.flatMap((event) => (event.kind === 'tool_call' ? [callIdOf(event)] : [])));
  const contents: ModelContent[] = [];
  for (const event of window) {
    if (event.kind === 'tool_call' && !answered.has(callIdOf(event))) continue;
    if (event.kind === 'tool_result' && !called.has(callIdOf(event))) continue;
    const part = partOf(event);
    if (!part) continue;
    const role = event.author === 'user' || event.kind === 'tool_result' ? 'user' : 'model';
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(part);
    else contents.push({ role, parts: [part] });
  }
  return contents;
}

function callIdOf(event: SessionEvent): string {
  const content = (event.content ?? {}) as { id?: unknown };
  return typeof content.id === 'string' ? content.id : `${event.turnId ?? ''}:${event.id}`;
}

function partOf(event: SessionEvent): ModelPart | null {
  const content = (event.content ?? {}) as Record<string, unknown>;
  const id = typeof content.id === 'string' ? { id: content.id } : {};
  switch (event.kind) {
    case 'message':
      return typeof content.text === 'string' ? { text: content.text } : null;
    case 'tool_call':
      return typeof content.name === 'string' ? { functionCall: { ...id, name: content.name, args: content.args ?? {} } } : null;
    case 'tool_result':
      return typeof content.name === 'string'
        ? { functionResponse: { ...id, name: content.name, response: (content.response ?? {}) as Record<string, unknown> } }
        : null;
    default:
      return null;
  }
}

export interface MemoryContext {
  memories: string[];
  summary: string | null;
}

// Words that carry no topic; searching for them would only add noise.
const stopWords = new Set(
  'cho toi minh khach hang them xem tim kiem nhe nha gio hop chai goi cai mot hai the and for with what does have this that please show find add remove cart from into about know customer'.split(' '),
);

/** Up to this many memories a customer has are ranked in process; beyond, the search index picks. */
const RANK_IN_PROCESS = 100;

/**
 * The customer's memories for this turn, at most `limit`: all of them when they fit, else the ones
 * sharing the most words with the message (accents ignored), plus the latest conversation summary.
 * Memories kept for one conversation only never appear in another.
 */
export async function gatherMemoryContext(source: MemoryContextSource, scope: Scope, message: string, limit: number): Promise<MemoryContext> {
  const visible = (item: { sessionId: string | null }) => item.sessionId === null || item.sessionId === scope.sessionId;
  const words = [...new Set(foldAccents(message).match(/[a-z0-9]{3,}/g) ?? [])].filter((word) => !stopWords.has(word) && !/^\d+$/.test(word));
  const page = await source.listMemories({ userId: scope.userId, limit: RANK_IN_PROCESS });
  let candidates = page.items.filter(visible);
  if (page.nextCursor !== null) {
    // Too many to read them all: let the search index find those with the message's words first.
    const unique = new Map<string, { key: string; sessionId: string | null }>();
    for (const word of words.slice(0, 4)) {
      const found = await source.listMemories({ userId: scope.userId, query: word, limit });
      for (const item of found.items.filter(visible)) unique.set(`${item.sessionId ?? ''}\u0000${item.key}`, item);
    }
    for (const item of candidates) if (unique.size < limit * 4) unique.set(`${item.sessionId ?? ''}\u0000${item.key}`, item);
    candidates = [...unique.values()];
  }
  const loaded: { line: string; score: number; order: number }[] = [];
  for (const [order, item] of candidates.entries()) {
    try {
      const entry = await source.getMemory(item.sessionId === null ? { userId: scope.userId } : { userId: scope.userId, sessionId: item.sessionId }, item.key);
      const line = `${item.key}: ${valueText(entry.value)}`;
      const folded = foldAccents(line);
      loaded.push({ line, score: words.filter((word) => folded.includes(word)).length, order });
    } catch (error) {
      // Listed but expired in between: it is simply no longer remembered.
      if (!(isAppError(error) && error.code === 'not_found')) throw error;
    }
  }
  const memories = loaded
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, limit)
    .map((entry) => entry.line);
  const summary = source.latestSummary ? await source.latestSummary(scope.userId) : null;
  return { memories, summary: summary ? summaryText(summary) : null };
}

function valueText(value: JsonValue): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length <= 200 ? text : `${text.slice(0, 199)}…`;
}

function summaryText(record: SummaryRecord): string {
  const parts = [record.summary];
  if (record.key_facts.length > 0) parts.push(`Facts: ${record.key_facts.join('; ')}`);
  const preferences = Object.values(record.user_preferences);
  if (preferences.length > 0) parts.push(`Preferences: ${preferences.join('; ')}`);
  return parts.join('\n').slice(0, 1500);
}

const headings = {
  vi: {
    memories: 'Những điều đã ghi nhớ về khách hàng này (chỉ của khách này):',
    summary: 'Tóm tắt các lần trò chuyện trước:',
  },
  en: {
    memories: 'What was remembered about this customer (this customer only):',
    summary: 'Summary of earlier conversations:',
  },
} satisfies Record<Language, Record<string, string>>;

/** What a composed system instruction says about the customer (the offline planner recalls from it): memory lines, then the summary. */
export function customerContextInInstruction(systemInstruction: string): string[] {
  const lines: string[] = [];
  for (const section of ['memories', 'summary'] as const) {
    for (const language of ['vi', 'en'] as const) {
      const heading = headings[language][section];
      const start = systemInstruction.indexOf(heading);
      if (start < 0) continue;
      const body = systemInstruction.slice(start + heading.length).split('\n\n')[0] ?? '';
      for (const line of body.split('\n').map((text) => text.trim())) {
        if (line) lines.push(line.startsWith('- ') ? line.slice(2) : line);
      }
      break;
    }
  }
  return lines;
}

/** The system instruction of one model call: the agent's instruction, then memories and the latest summary. */
export function composeSystemInstruction(instruction: string, memory: MemoryContext, language: Language): string {
  const sections = [instruction];
  if (memory.memories.length > 0) {
    sections.push(`${headings[language].memories}\n${memory.memories.map((line) => `- ${line}`).join('\n')}`);
  }
  if (memory.summary) sections.push(`${headings[language].summary}\n${memory.summary}`);
  return sections.join('\n\n');
}
