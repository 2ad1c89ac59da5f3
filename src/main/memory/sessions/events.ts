import { randomBytes } from 'node:crypto';
import { eventKinds, type EventKind, type JsonValue, type SessionEvent } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import { deepFreeze } from '../hotTier';
import { jsonText } from '../validate';

/** An event as the runner hands it over; `partial` (streaming) events are not stored. */
export interface EventInput {
  id?: string;
  author: string;
  kind: EventKind;
  content: JsonValue;
  partial?: boolean;
  turnId?: string;
  timestamp?: number;
}

const EVENT_FIELDS = new Set(['id', 'author', 'kind', 'content', 'partial', 'turnId', 'timestamp']);
const KINDS = new Set<string>(eventKinds);

/**
 * Ids for events that come without one: UUID-shaped (version 8, "custom"), 72 random bits fixed
 * per process and a 48-bit counter. Unique like random UUIDs within a session and across runs, but
 * consecutive ids share their first 24 characters, so an archived transcript keeps a few bytes per
 * id instead of sixteen.
 */
const idPrefix = (() => {
  const hex = randomBytes(10).toString('hex');
  const variant = '89ab'[parseInt(hex[15]!, 16) & 3];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(12, 15)}-${variant}${hex.slice(16, 19)}-`;
})();
let idCounter = Math.floor(Math.random() * 0x1000000);

export function newEventId(): string {
  idCounter = (idCounter + 1) % 0x1000000000000;
  return idPrefix + idCounter.toString(16).padStart(12, '0');
}

function eventProblem(message: string): AppError {
  return new AppError('invalid_request', `event: ${message}`);
}

function eventText(value: unknown, what: string, max: number, optional: boolean): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw eventProblem(`${what} must be text of 1 to ${max} characters`);
  return value;
}

/** Checks an event by hand (it runs on every chat turn) and gives it an id and time if it has none. */
export function validEvent(input: EventInput, now: number): { event: SessionEvent; json: string; partial: boolean } {
  if (input === null || typeof input !== 'object') throw eventProblem('expected an object');
  for (const field of Object.keys(input)) if (!EVENT_FIELDS.has(field)) throw eventProblem(`unknown field ${field}`);
  const id = eventText(input.id, 'id', 128, true);
  const author = eventText(input.author, 'author', 64, false)!;
  const turnId = eventText(input.turnId, 'turnId', 128, true);
  if (!KINDS.has(input.kind)) throw eventProblem(`kind must be one of ${eventKinds.join(', ')}`);
  if (input.partial !== undefined && typeof input.partial !== 'boolean') throw eventProblem('partial must be true or false');
  if (input.timestamp !== undefined && (!Number.isInteger(input.timestamp) || input.timestamp < 0)) {
    throw eventProblem('timestamp must be a whole number of milliseconds');
  }
  if (input.content === undefined) throw eventProblem('content is missing');
  const { value: content, text: json } = jsonText(input.content, 'event content');
  return {
    event: { id: id ?? newEventId(), author, kind: input.kind, content, turnId: turnId ?? null, timestamp: input.timestamp ?? now },
    json,
    partial: input.partial === true,
  };
}

/** Where a stored event keeps its content's JSON until first read, then the parsed content. */
const STORED = Symbol('stored content');

interface StoredContent {
  json: string | null;
  value: JsonValue;
}

function readContent(this: { [STORED]: StoredContent }): JsonValue {
  const stored = this[STORED];
  if (stored.json !== null) {
    stored.value = deepFreeze(JSON.parse(stored.json) as JsonValue);
    stored.json = null;
  }
  return stored.value;
}

// One getter shared by every stored event, so they all share one object shape.
const contentProperty: PropertyDescriptor = { get: readContent, enumerable: true, configurable: false };

/**
 * A frozen event whose content is parsed from its stored JSON on first read (and frozen then), so
 * reading a page of history costs no JSON work for contents nobody looks at. `content` is an own
 * enumerable property (a getter) in its usual place: spreading, `JSON.stringify`, structured clone
 * and equality checks see an ordinary event; the JSON waits in a hidden (non-enumerable) slot.
 */
export function storedEvent(
  id: string,
  author: string,
  kind: EventKind,
  contentJson: string,
  turnId: string | null,
  timestamp: number,
): SessionEvent {
  const event = { id, author, kind } as SessionEvent;
  Object.defineProperty(event, 'content', contentProperty);
  event.turnId = turnId;
  event.timestamp = timestamp;
  Object.defineProperty(event, STORED, { value: { json: contentJson, value: null } satisfies StoredContent });
  return Object.freeze(event);
}
