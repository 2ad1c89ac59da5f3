import type { EventKind, JsonValue, SessionEvent, SummaryRecord } from '@shared/contract/memory';
import { compress, compressArchive, decompress } from '../codec';

/**
 * How a summarized conversation is kept: the `summary` column holds the one-line summary as JSON
 * (readable in SQL, enough for a search hit), and the `transcript` blob holds, brotli-compressed
 * at the archive quality, the rest of the record and every event in columns (ids front-coded,
 * times as differences), which compresses to about a sixth of the events' bytes. Rows written
 * before this layout keep the whole record in `summary` and a JSON array of events in the blob;
 * both are read.
 */
interface PackedArchive {
  v: 2;
  record: Omit<SummaryRecord, 'summary'>;
  /** Each id as the length of the prefix it shares with the previous id, and the rest. */
  idPrefix: number[];
  idRest: string[];
  authors: string[];
  kinds: EventKind[];
  turnIds: (string | null)[];
  /** The first timestamp, then differences. */
  times: number[];
  contents: JsonValue[];
}

export interface PackedSummary {
  summaryJson: string;
  transcript: Buffer;
}

/** The archive of a summary with no events yet: the record's fields, empty event columns. */
function emptyArchive(record: SummaryRecord): PackedArchive {
  return {
    v: 2,
    record: {
      key_facts: record.key_facts,
      user_preferences: record.user_preferences,
      important_events: record.important_events,
      timestamp: record.timestamp,
    },
    idPrefix: [],
    idRest: [],
    authors: [],
    kinds: [],
    turnIds: [],
    times: [],
    contents: [],
  };
}

/** Packs and compresses (in the thread pool) a summary with its conversation. */
export async function packArchive(record: SummaryRecord, events: readonly SessionEvent[]): Promise<PackedSummary> {
  const packed = emptyArchive(record);
  let previousId = '';
  let previousTime = 0;
  for (const event of events) {
    let shared = 0;
    while (shared < event.id.length && shared < previousId.length && event.id[shared] === previousId[shared]) shared++;
    packed.idPrefix.push(shared);
    packed.idRest.push(event.id.slice(shared));
    previousId = event.id;
    packed.authors.push(event.author);
    packed.kinds.push(event.kind);
    packed.turnIds.push(event.turnId);
    packed.times.push(event.timestamp - previousTime);
    previousTime = event.timestamp;
    packed.contents.push(event.content);
  }
  return { summaryJson: JSON.stringify({ summary: record.summary }), transcript: await compressArchive(JSON.stringify(packed)) };
}

/**
 * Packs a summary that comes without its conversation (another desk's, through the sync hub),
 * synchronously: there are no events to compress, so it fits inside a transaction. `learnedAt`
 * (where it was learned) goes into the summary column beside the line.
 */
export function packSummaryOnly(record: SummaryRecord, learnedAt: { deskName: string; store: string; at: number }): PackedSummary {
  const packed = emptyArchive(record);
  return { summaryJson: JSON.stringify({ summary: record.summary, learnedAt }), transcript: compress(JSON.stringify(packed)) };
}

/** Where another desk learned a stored summary (sync), from its summary column; undefined when it was made here. */
export function summaryLearnedAt(summaryJson: string): { deskName: string; store: string; at: number } | undefined {
  return (JSON.parse(summaryJson) as { learnedAt?: { deskName: string; store: string; at: number } }).learnedAt;
}

/** The record and the events of a stored summary, whichever layout it was written in. */
export function unpackArchive(
  summaryJson: string,
  codec: 'none' | 'brotli' | 'gzip',
  transcript: Buffer,
): SummaryRecord & { events: SessionEvent[] } {
  const column = JSON.parse(summaryJson) as Partial<SummaryRecord> & { summary: string };
  const blob = JSON.parse(decompress(transcript, codec)) as PackedArchive | SessionEvent[];
  if (Array.isArray(blob)) return { ...(column as SummaryRecord), events: blob };
  const events: SessionEvent[] = [];
  let previousId = '';
  let time = 0;
  for (let i = 0; i < blob.kinds.length; i++) {
    const id = previousId.slice(0, blob.idPrefix[i]) + blob.idRest[i]!;
    previousId = id;
    time += blob.times[i]!;
    events.push({ id, author: blob.authors[i]!, kind: blob.kinds[i]!, content: blob.contents[i]!, turnId: blob.turnIds[i]!, timestamp: time });
  }
  const { record } = blob;
  return {
    summary: column.summary,
    key_facts: record.key_facts,
    user_preferences: record.user_preferences,
    important_events: record.important_events,
    timestamp: record.timestamp,
    events,
  };
}

/** The one-line summary of a stored row without decompressing anything. */
export function summaryLine(summaryJson: string): string {
  return (JSON.parse(summaryJson) as { summary: string }).summary;
}

/** The text the search index keeps for a summary. */
export function summarySearchText(record: SummaryRecord): string {
  return [record.summary, ...record.key_facts, ...Object.values(record.user_preferences), ...record.important_events].join(' ');
}
