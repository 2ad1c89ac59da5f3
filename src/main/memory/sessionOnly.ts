import type { JsonValue, SessionEvent, SummaryRecord } from '@shared/contract/memory';
import { TOOL_NAMES } from '@shared/agentNames';
import { foldAccents } from '@shared/text';
import { messageText } from './text';

/**
 * What was remembered "only for this conversation" (a session-scoped memory) must not outlive the
 * conversation through its summary: the summary is shown in later conversations, in the customer
 * profile, and shared with every other desk through the sync hub. These pure functions find those
 * texts, keep the memorize calls that wrote them away from the summarizer, and take whatever still
 * carries them out of the summary it wrote. The archived transcript is not touched: it is that
 * conversation's own local record.
 */

/** Shorter texts ("Lan", "2", "ok") are too common to tell a session-only memory apart. */
export const MIN_SESSION_TEXT_CHARS = 4;

/** The summary text when every sentence of it carried a session-only memory (stored in English, as the extractive summary is). */
export const SESSION_ONLY_SUMMARY = 'Details kept only for that conversation were left out.';

const MEMORIZE_TOOLS: ReadonlySet<string> = new Set([TOOL_NAMES.memorize, TOOL_NAMES.memorizeList]);

/** Sentence ends as the extractive summarizer splits the customer's messages. */
const SENTENCE_BREAK = /(?<=[.!?。])\s+|\n+/u;
/** The summary text is cut at clauses too (the extractive summary joins its parts with "; "); the breaks are kept. */
const CLAUSE_BREAK = /((?<=[.!?。;])\s+|\n+)/u;
/** A piece of a longer text (one of its sentences, or its start) is only looked for when this distinctive. */
const MIN_PIECE_CHARS = 12;
/**
 * Summarizers clip long sentences (the extractive one at 160 characters), so a long text is also
 * looked for by its start: a summary line holding its first 60 characters came from it.
 */
const LONG_TEXT_PREFIX_CHARS = 60;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every string in a JSON value (list items and object values, not object keys), trimmed, of at least 4 characters. */
function textLeaves(value: unknown, into: string[]): void {
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.length >= MIN_SESSION_TEXT_CHARS) into.push(text);
  } else if (Array.isArray(value)) {
    for (const item of value) textLeaves(item, into);
  } else if (isRecord(value)) {
    for (const item of Object.values(value)) textLeaves(item, into);
  }
}

/** A `memorize`/`memorize_list` tool call the agent made with `scope: 'session'`; null for any other event. */
function sessionMemorizeCall(event: SessionEvent): { id: string | null; name: string; args: Record<string, unknown> } | null {
  if (event.kind !== 'tool_call' || !isRecord(event.content)) return null;
  const { id, name, args } = event.content;
  if (typeof name !== 'string' || !MEMORIZE_TOOLS.has(name) || !isRecord(args)) return null;
  // Read as the model sent it (the tool's schema defaults to `customer`); a malformed call meant for the session counts too.
  if (typeof args.scope !== 'string' || args.scope.trim().toLowerCase() !== 'session') return null;
  return { id: typeof id === 'string' ? id : null, name, args };
}

/**
 * The texts remembered only for this conversation: the values of the conversation's own
 * session-scoped `memorize`/`memorize_list` calls (also when the memory was forgotten since), and
 * of the session's memories still stored (`storedSessionValues`: staff may have kept some through
 * the memory API, with no tool call in the conversation). Only the values, not the keys or the
 * `scope`/`mode` arguments ("session" would match every summary). Deduplicated, in order found.
 */
export function sessionOnlyTexts(events: readonly SessionEvent[], storedSessionValues: readonly JsonValue[]): string[] {
  const texts: string[] = [];
  for (const event of events) {
    const call = sessionMemorizeCall(event);
    if (call) textLeaves(call.name === TOOL_NAMES.memorizeList ? call.args.items : call.args.value, texts);
  }
  for (const value of storedSessionValues) textLeaves(value, texts);
  return [...new Set(texts)];
}

/**
 * The events the summarizer is given: without the session-scoped memorize calls (whose arguments
 * hold the session-only values; the model summarizer copies tool calls with their arguments and the
 * extractive one lists them as important events) and without their results. A result names its call
 * by the call's id (`{ id, name, response }`); a call stored without an id is paired with the next
 * result of the same tool that has none.
 */
export function withoutSessionMemorizing(events: readonly SessionEvent[]): SessionEvent[] {
  const removedIds = new Set<string>();
  const unpairedByName = new Map<string, number>();
  const kept: SessionEvent[] = [];
  for (const event of events) {
    const call = sessionMemorizeCall(event);
    if (call) {
      if (call.id !== null) removedIds.add(call.id);
      else unpairedByName.set(call.name, (unpairedByName.get(call.name) ?? 0) + 1);
      continue;
    }
    if (event.kind === 'tool_result' && isRecord(event.content)) {
      const { id, name } = event.content;
      if (typeof id === 'string' && removedIds.has(id)) continue;
      if (typeof id !== 'string' && typeof name === 'string' && (unpairedByName.get(name) ?? 0) > 0) {
        unpairedByName.set(name, unpairedByName.get(name)! - 1);
        continue;
      }
    }
    kept.push(event);
  }
  return kept;
}

/** Folded (no accents, lowercase), whitespace collapsed, without surrounding punctuation: how texts are compared. */
function comparable(text: string): string {
  return foldAccents(text)
    .replace(/\s+/gu, ' ')
    .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '');
}

/**
 * What a summary line is searched for: each text, and, since summarizers split the customer's
 * messages into sentences and clip long ones, each distinctive sentence of a text and the start of a
 * long text.
 */
function needlesOf(texts: readonly string[]): string[] {
  const needles = new Set<string>();
  const add = (piece: string, min: number) => {
    const folded = comparable(piece);
    if (folded.length >= min) needles.add(folded);
  };
  for (const text of texts) {
    add(text, MIN_SESSION_TEXT_CHARS);
    const sentences = text.split(SENTENCE_BREAK);
    if (sentences.length > 1) for (const sentence of sentences) add(sentence, MIN_PIECE_CHARS);
    const folded = comparable(text);
    if (folded.length > LONG_TEXT_PREFIX_CHARS) add(folded.slice(0, LONG_TEXT_PREFIX_CHARS), MIN_PIECE_CHARS);
  }
  return [...needles];
}

/**
 * The summary without anything that carries a session-only text: key facts, preferences (by key
 * or value), important events and sentences (clauses) of the summary text that contain one,
 * compared without accents or case. A summary text left empty becomes a short neutral sentence.
 * The record is returned as it is when there is nothing to take out.
 */
export function redactSessionOnly(record: SummaryRecord, texts: readonly string[]): SummaryRecord {
  const carries = carrierOf(texts);
  if (carries === null) return record;
  return {
    ...record,
    summary: withoutClauses(record.summary, carries),
    key_facts: record.key_facts.filter((fact) => !carries(fact)),
    user_preferences: Object.fromEntries(Object.entries(record.user_preferences).filter(([what, value]) => !carries(what) && !carries(value))),
    important_events: record.important_events.filter((event) => !carries(event)),
  };
}

/**
 * The conversation's messages without their sentences that carry a session-only text, for the
 * summarizer only: a model given them could paraphrase or translate what no exact match would
 * then find in its summary. A message left with nothing is left out.
 */
export function withoutSessionOnlySentences(events: readonly SessionEvent[], texts: readonly string[]): SessionEvent[] {
  const carries = carrierOf(texts);
  if (carries === null) return [...events];
  const kept: SessionEvent[] = [];
  for (const event of events) {
    const text = event.kind === 'message' ? messageText(event.content) : null;
    if (text === null || !carries(text)) {
      kept.push(event);
      continue;
    }
    const left = text
      .split(SENTENCE_BREAK)
      .filter((sentence) => sentence.trim() !== '' && !carries(sentence))
      .join(' ');
    if (left === '') continue;
    kept.push({ ...event, content: typeof event.content === 'string' ? left : { ...(event.content as Record<string, unknown>), text: left } });
  }
  return kept;
}

/** Whether a line carries one of `texts` (accents, case and spacing aside); null when there is nothing to look for. */
function carrierOf(texts: readonly string[]): ((line: string) => boolean) | null {
  const needles = needlesOf(texts);
  if (needles.length === 0) return null;
  return (line) => {
    const folded = foldAccents(line).replace(/\s+/gu, ' ');
    return needles.some((needle) => folded.includes(needle));
  };
}

/** The summary text without the clauses `drop` picks, its line breaks kept; the neutral sentence when nothing is left. */
function withoutClauses(text: string, drop: (clause: string) => boolean): string {
  // With the capturing group, split alternates clause, break, clause, …
  const parts = text.split(CLAUSE_BREAK);
  let kept = '';
  let dropped = false;
  for (let i = 0; i < parts.length; i += 2) {
    const clause = parts[i]!;
    if (clause.trim() !== '' && drop(clause)) dropped = true;
    else kept += clause + (parts[i + 1] ?? '');
  }
  if (!dropped) return text;
  const left = kept.replace(/[\s;,]+$/u, '');
  return left.trim() === '' ? SESSION_ONLY_SUMMARY : left;
}
