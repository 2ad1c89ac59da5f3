import type { SessionEvent, SummaryRecord } from '@shared/contract/memory';
import { foldAccents } from '@shared/text';
import { messageText, searchableText } from './text';

export interface Conversation {
  userId: string;
  sessionId: string;
  events: readonly SessionEvent[];
}

/** Turns a conversation into the summary record the cold tier keeps (the agent issue adds a model-driven one). */
export interface Summarizer {
  summarize(conversation: Conversation): Promise<SummaryRecord>;
}

/** Phrases (folded: no accents, đ → d) that introduce a preference, in Vietnamese and English. */
const PREFERENCE_CUES = [
  'khong thich',
  'khong muon',
  'khong an',
  'di ung',
  'thich',
  'uu tien',
  'hay mua',
  'thuong mua',
  'muon',
  "don't like",
  'do not like',
  'allergic to',
  'prefers',
  'prefer',
  'likes',
  'like',
  'usually buy',
  'want',
];

/** Words (folded) that make a sentence a fact worth keeping: quantities, orders, delivery, money. */
const FACT_CUES =
  /\b(mua|dat|giao|gio hang|don hang|thanh toan|hoa don|so luong|thung|hop|chai|goi|kg|order|cart|deliver|invoice|buy|bought|pack|box|bottle)\b|\d/;

const MAX_FACTS = 10;
const MAX_EVENTS = 10;
const MAX_SENTENCE = 160;

/**
 * A deterministic, offline summarizer: keeps the customer's own sentences that state preferences
 * or facts (quantities, orders, delivery), and the tool activity that changed something. Same input,
 * same output, so it can be tested and needs no model.
 */
export class ExtractiveSummarizer implements Summarizer {
  summarize(conversation: Conversation): Promise<SummaryRecord> {
    const customerSentences: string[] = [];
    const importantEvents: string[] = [];
    let messages = 0;
    for (const event of conversation.events) {
      if (event.kind === 'message') {
        messages++;
        // The message's own words (not its field names), else whatever it holds.
        if (event.author === 'user') customerSentences.push(...sentences(messageText(event.content) ?? searchableText(event.content)));
      } else if ((event.kind === 'tool_call' || event.kind === 'transfer' || event.kind === 'error') && importantEvents.length < MAX_EVENTS) {
        importantEvents.push(`${event.kind}: ${clip(describe(event.content))}`);
      }
    }
    const preferences = new Map<string, string>();
    const facts: string[] = [];
    for (const sentence of customerSentences) {
      const folded = foldAccents(sentence);
      const cue = PREFERENCE_CUES.find((candidate) => new RegExp(`(^|\\s)${escape(candidate)}(\\s|$)`).test(folded));
      if (cue && !preferences.has(cue)) preferences.set(cue, clip(sentence));
      else if (FACT_CUES.test(folded) && facts.length < MAX_FACTS && !facts.includes(clip(sentence))) facts.push(clip(sentence));
    }
    const first = customerSentences[0];
    const last = conversation.events.at(-1);
    const summary =
      `${messages} messages in session ${conversation.sessionId}` +
      (first ? `; the customer started with: "${clip(first)}"` : '') +
      (preferences.size > 0 ? `; ${preferences.size} preference(s)` : '') +
      (facts.length > 0 ? `; ${facts.length} fact(s)` : '') +
      (importantEvents.length > 0 ? `; ${importantEvents.length} action(s)` : '');
    return Promise.resolve({
      summary,
      key_facts: facts,
      user_preferences: Object.fromEntries(preferences),
      important_events: importantEvents,
      timestamp: new Date(last?.timestamp ?? 0).toISOString(),
    });
  }
}

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?。])\s+|\n+/u)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);
}

function describe(content: unknown): string {
  if (content !== null && typeof content === 'object' && !Array.isArray(content)) {
    const record = content as Record<string, unknown>;
    const name = typeof record.name === 'string' ? record.name : typeof record.agent === 'string' ? record.agent : null;
    const args = record.args ?? record.arguments;
    if (name) return args === undefined ? name : `${name} ${JSON.stringify(args)}`;
  }
  return typeof content === 'string' ? content : JSON.stringify(content);
}

function clip(text: string): string {
  return text.length <= MAX_SENTENCE ? text : text.slice(0, MAX_SENTENCE - 1) + '…';
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
