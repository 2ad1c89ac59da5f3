import type { JsonValue, SessionEvent, SummaryRecord } from '@shared/contract/memory';
import { isAppError } from '@shared/errors';
import type { Language } from '@shared/settings';
import { foldAccents } from '@shared/text';
import { resultForModel } from './forModel';
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
 * Turns stored events back into exactly what the model was sent and answered: each model step's
 * parts in the order received (text, thoughts, function calls, with their thought signatures), and
 * the step's function responses together in the next user turn, in call order. The window starts at
 * a staff message. A step whose calls were not all answered (the process died mid-step) is left out
 * whole, since Gemini rejects a call without its response and a parallel call without the first
 * call's signature. Consecutive contents of one role (a failed turn's message and the next one) are
 * merged into one content, as the API expects. Transfers, errors and summaries are bookkeeping.
 */
export function contentsFromEvents(events: readonly SessionEvent[]): ModelContent[] {
  const start = events.findIndex((event) => event.author === 'user' && event.kind === 'message');
  if (start < 0) return [];
  const contents: ModelContent[] = [];
  for (const event of events.slice(start)) {
    const part = partOf(event);
    if (!part) continue;
    appendParts(contents, event.author === 'user' || event.kind === 'tool_result' ? 'user' : 'model', [part]);
  }
  return withAnsweredCallsOnly(contents);
}

/** `base` followed by `more`, merging the seam when both sides have the same role. */
export function joinContents(base: readonly ModelContent[], more: readonly ModelContent[]): ModelContent[] {
  const joined = base.map((content) => ({ role: content.role, parts: [...content.parts] }));
  for (const content of more) appendParts(joined, content.role, content.parts);
  return joined;
}

function appendParts(contents: ModelContent[], role: ModelContent['role'], parts: readonly ModelPart[]): void {
  if (parts.length === 0) return;
  const last = contents.at(-1);
  if (last && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts: [...parts] });
}

/**
 * Keeps a model step's function calls only when the next user content answers every one of them
 * (and only responses whose call is there): otherwise the step's calls and their partial answers go.
 */
function withAnsweredCallsOnly(contents: ModelContent[]): ModelContent[] {
  const kept: ModelContent[] = [];
  for (let index = 0; index < contents.length; index++) {
    const content = contents[index]!;
    if (content.role === 'model') {
      const calls = content.parts.filter((part) => 'functionCall' in part);
      const next = contents[index + 1];
      const answered = new Set(next?.parts.flatMap((part) => ('functionResponse' in part ? [responseKey(part.functionResponse)] : [])) ?? []);
      const complete = calls.length > 0 && calls.every((part) => answered.has(callKey(part.functionCall)));
      appendParts(kept, 'model', complete ? content.parts : content.parts.filter((part) => !('functionCall' in part)));
      if (calls.length > 0 && next) {
        const ids = new Set(complete ? calls.map((part) => callKey(part.functionCall)) : []);
        appendParts(
          kept,
          'user',
          next.parts.filter((part) => !('functionResponse' in part) || ids.has(responseKey(part.functionResponse))),
        );
        index++;
      }
      continue;
    }
    // A user content reached here was not preceded by calls: its responses answer nothing.
    appendParts(
      kept,
      'user',
      content.parts.filter((part) => !('functionResponse' in part)),
    );
  }
  return kept;
}

const callKey = (call: { id?: string; name: string }) => call.id ?? `name:${call.name}`;
const responseKey = (response: { id?: string; name: string }) => response.id ?? `name:${response.name}`;

function partOf(event: SessionEvent): ModelPart | null {
  const content = (event.content ?? {}) as Record<string, unknown>;
  const id = typeof content.id === 'string' ? { id: content.id } : {};
  const signature = typeof content.thoughtSignature === 'string' ? { thoughtSignature: content.thoughtSignature } : {};
  switch (event.kind) {
    case 'message':
      if (typeof content.text !== 'string') return null;
      // A signature-only part (Gemini may end a stream with one) is kept; an empty staff message is not.
      if (content.text === '' && !signature.thoughtSignature) return null;
      return { text: content.text, ...(content.thought === true ? { thought: true } : {}), ...signature };
    case 'tool_call':
      return typeof content.name === 'string' ? { functionCall: { ...id, name: content.name, args: content.args ?? {} }, ...signature } : null;
    case 'tool_result':
      return typeof content.name === 'string'
        ? {
            functionResponse: {
              ...id,
              name: content.name,
              response: resultForModel(content.name, (content.response ?? {}) as Record<string, unknown>),
            },
          }
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
  'cho toi minh khach hang them xem tim kiem nhe nha gio hop chai goi cai mot hai the and for with what does have this that please show find add remove cart from into about know customer'.split(
    ' ',
  ),
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
      const entry = await source.getMemory(
        item.sessionId === null ? { userId: scope.userId } : { userId: scope.userId, sessionId: item.sessionId },
        item.key,
      );
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

/** The system instruction of one model call: the agent's instruction, then memories and the latest summary. */
export function composeSystemInstruction(instruction: string, memory: MemoryContext, language: Language): string {
  const sections = [instruction];
  if (memory.memories.length > 0) {
    sections.push(`${headings[language].memories}\n${memory.memories.map((line) => `- ${line}`).join('\n')}`);
  }
  if (memory.summary) sections.push(`${headings[language].summary}\n${memory.summary}`);
  return sections.join('\n\n');
}
