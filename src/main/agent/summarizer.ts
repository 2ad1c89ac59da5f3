import { z } from 'zod';
import type { SessionEvent, SummaryRecord } from '@shared/contract/memory';
import { AppError } from '@shared/errors';
import type { Language } from '@shared/settings';
import { errorFacts, silentLogger, type Logger } from '../core/logger';
import type { Conversation, Summarizer } from '../memory/summarizer';
import { AbortScope } from './abort';
import { createSummarizerAgent } from './agents';
import type { ResolvedModel } from './modelResolver';

const summarySchema = z.object({
  summary: z.string().min(1).max(4000),
  key_facts: z.array(z.string().max(500)).max(50).default([]),
  user_preferences: z
    .record(z.string(), z.unknown())
    .default({})
    .transform((preferences) =>
      Object.fromEntries(Object.entries(preferences).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)])),
    ),
  important_events: z
    .array(z.unknown())
    .max(50)
    .default([])
    .transform((events) => events.map((event) => (typeof event === 'string' ? event : JSON.stringify(event)))),
  timestamp: z.string().default(() => new Date().toISOString()),
});

const TRANSCRIPT_MAX_CHARS = 30_000;
const SUMMARY_TIMEOUT_MS = 60_000;

/**
 * The memory maintenance's daily summarizer: the summarizer agent on Gemini when a key is set,
 * otherwise (or when the model's answer is not the expected JSON) the memory module's own
 * extractive summarizer, so a summary is always written.
 */
export class ModelSummarizer implements Summarizer {
  private readonly agent = createSummarizerAgent();

  constructor(
    private readonly model: () => ResolvedModel,
    private readonly fallback: Summarizer,
    private readonly language: () => Language,
    private readonly log: Logger = silentLogger(),
  ) {}

  async summarize(conversation: Conversation): Promise<SummaryRecord> {
    const { client, name } = this.model();
    if (client.provider === 'offline') return this.fallback.summarize(conversation);
    const language = this.language();
    const scope = new AbortScope(undefined, SUMMARY_TIMEOUT_MS, () => new AppError('timeout', 'Summarizing took too long.'));
    try {
      let text = '';
      const request = {
        model: this.agent.model ?? name,
        systemInstruction: this.agent.instruction({ language, userId: conversation.userId }),
        contents: [{ role: 'user' as const, parts: [{ text: transcript(conversation.events) }] }],
        tools: [],
        language,
        jsonOutput: true,
      };
      for await (const chunk of client.generate(request, scope.signal)) if (chunk.type === 'text') text += chunk.text;
      const parsed = summarySchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
      this.log.warn(
        { model: request.model, reason: 'unexpected_shape' },
        'the model summary was not in the expected shape; the extractive summary is used',
      );
      return await this.fallback.summarize(conversation);
    } catch (error) {
      // A model that is down must not stop the nightly job; the extractive summary is still useful.
      // A JSON error's message quotes the model's text (the customer's conversation): only its kind is logged.
      const reason = error instanceof SyntaxError ? { reason: 'not_json' } : errorFacts(error);
      this.log.warn({ model: this.agent.model ?? name, ...reason }, 'the model summary failed; the extractive summary is used');
      return this.fallback.summarize(conversation);
    } finally {
      scope.dispose();
    }
  }
}

/** The conversation as plain lines; tool results are left out (they are store data, not conversation). */
function transcript(events: readonly SessionEvent[]): string {
  const lines: string[] = [];
  for (const event of events) {
    const content = (event.content ?? {}) as Record<string, unknown>;
    if (event.kind === 'message' && typeof content.text === 'string') lines.push(`${event.author}: ${content.text}`);
    else if (event.kind === 'tool_call') lines.push(`${event.author} → ${String(content.name)} ${JSON.stringify(content.args ?? {})}`);
  }
  const text = lines.join('\n');
  return text.length <= TRANSCRIPT_MAX_CHARS ? text : text.slice(text.length - TRANSCRIPT_MAX_CHARS);
}
