import type { MemoryContext } from './context';
import { estimateTokens, type FunctionDeclarationShape, type ModelContent, type ModelPart } from './model';

/** The default token budget of one model request (Settings → contextTokenBudget). */
export const DEFAULT_TOKEN_BUDGET = 16_000;

/**
 * Token counts by the fixed rule (`estimateTokens`), times a factor learnt from the model's own
 * `countTokens` when a key is set. The factor only ever moves within [0.5, 2]: a wild answer from
 * a gateway must not let a request grow past what the budget means.
 */
export class TokenEstimator {
  private readonly factors = new Map<string, number>();
  private readonly calibrating = new Map<string, Promise<void>>();

  factor(model: string): number {
    return this.factors.get(model) ?? 1;
  }

  tokens(model: string, text: string): number {
    return Math.ceil(estimateTokens(text) * this.factor(model));
  }

  isCalibrated(model: string): boolean {
    return this.factors.has(model);
  }

  /** Runs `count` once per model (never two at a time); the fixed rule stays in force until it answers. */
  calibrate(model: string, contents: ModelContent[], count: (contents: ModelContent[]) => Promise<number>): Promise<void> {
    const running = this.calibrating.get(model);
    if (running) return running;
    const estimated = estimateTokens(JSON.stringify(contents));
    // Too little text to learn a ratio from; a later run with more history tries again.
    if (this.factors.has(model) || estimated < 50) return Promise.resolve();
    const work = count(contents)
      .then((counted) => {
        if (Number.isFinite(counted) && counted > 0) this.factors.set(model, Math.min(2, Math.max(0.5, counted / estimated)));
      })
      .finally(() => this.calibrating.delete(model));
    this.calibrating.set(model, work);
    return work;
  }

  /** Resolves when no calibration is running (failed ones included). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.calibrating.values()]);
  }
}

export interface FitInput {
  budgetTokens: number;
  tokens: (text: string) => number;
  instruction: string;
  compose: (memory: MemoryContext) => string;
  tools: readonly FunctionDeclarationShape[];
  memory: MemoryContext;
  /** Earlier turns, oldest first, starting at a staff message. */
  history: readonly ModelContent[];
  /** This run so far: the staff message and the steps taken since. */
  current: readonly ModelContent[];
}

export interface FittedRequest {
  systemInstruction: string;
  memory: MemoryContext;
  history: ModelContent[];
  current: ModelContent[];
  estimatedTokens: number;
  /** Earlier turns left out to stay within the budget. */
  droppedTurns: number;
}

/** What the request adds around the parts counted here (field names, config), generously. */
const ENVELOPE_TOKENS = 100;

/** The smallest a compacted part may be pushed down to when the run itself outgrows the budget. */
const MIN_PART_CHARS = 240;

/**
 * Fits one request to the token budget. Always in: the agent's instruction, the tool declarations
 * and this run (oversized tool arguments and results replaced by a short note, tighter and tighter
 * if the run alone would not fit). Then, while they fit: the customer's memories in rank order, the
 * latest summary, and earlier turns newest first, whole turns only (a turn cut in the middle would
 * leave a call without its response).
 */
export function fitRequest(input: FitInput): FittedRequest {
  const budget = input.budgetTokens;
  const toolTokens = input.tools.length > 0 ? input.tokens(JSON.stringify(input.tools)) : 0;
  const size = (contents: readonly ModelContent[]) => (contents.length > 0 ? input.tokens(JSON.stringify(contents)) : 0);
  const baseTokens = ENVELOPE_TOKENS + toolTokens + input.tokens(input.instruction);

  // A part may take at most a sixth of the budget; a run that still does not fit halves that.
  let partChars = Math.max(MIN_PART_CHARS, Math.floor((budget * 3) / 6));
  let current = compactContents(input.current, partChars);
  while (baseTokens + size(current) > budget && partChars > MIN_PART_CHARS) {
    partChars = Math.max(MIN_PART_CHARS, Math.floor(partChars / 2));
    current = compactContents(input.current, partChars);
  }
  let used = baseTokens + size(current);

  const memories: string[] = [];
  for (const line of input.memory.memories) {
    const cost = input.tokens(`\n- ${line}`) + (memories.length === 0 ? 20 : 0);
    if (used + cost > budget) break;
    memories.push(line);
    used += cost;
  }
  let summary: string | null = null;
  if (input.memory.summary) {
    const cost = input.tokens(input.memory.summary) + 20;
    if (used + cost <= budget) {
      summary = input.memory.summary;
      used += cost;
    }
  }

  const turns = splitTurns(compactContents(input.history, partChars));
  const kept: ModelContent[][] = [];
  for (let index = turns.length - 1; index >= 0; index--) {
    const cost = size(turns[index]!);
    if (used + cost > budget) break;
    kept.unshift(turns[index]!);
    used += cost;
  }
  const memory = { memories, summary };
  const systemInstruction = input.compose(memory);
  return {
    systemInstruction,
    memory,
    history: kept.flat(),
    current,
    estimatedTokens: ENVELOPE_TOKENS + toolTokens + input.tokens(systemInstruction) + size([...kept.flat(), ...current]),
    droppedTurns: turns.length - kept.length,
  };
}

/** Splits contents at each user content that carries staff text: one piece per turn. */
function splitTurns(contents: readonly ModelContent[]): ModelContent[][] {
  const turns: ModelContent[][] = [];
  for (const content of contents) {
    const startsTurn = content.role === 'user' && content.parts.some((part) => 'text' in part);
    if (startsTurn || turns.length === 0) turns.push([content]);
    else turns.at(-1)!.push(content);
  }
  return turns;
}

export function compactContents(contents: readonly ModelContent[], maxPartChars: number): ModelContent[] {
  return contents.map((content) => ({ role: content.role, parts: content.parts.map((part) => compactPart(part, maxPartChars)) }));
}

/**
 * A function call's arguments or a function response larger than `maxChars` (as JSON) keep their
 * small fields; each large field becomes a note saying what it was ("value of 300 KB, stored under
 * key …"). The full data stays where the tool put it (memory, the session's events).
 */
export function compactPart(part: ModelPart, maxChars: number): ModelPart {
  if ('functionCall' in part) {
    const args = part.functionCall.args;
    if (!isRecord(args) || JSON.stringify(args).length <= maxChars) return part;
    const key = typeof args.key === 'string' ? args.key : null;
    return { ...part, functionCall: { ...part.functionCall, args: compactRecord(args, maxChars, (field, bytes) => noteFor(field, bytes, key)) } };
  }
  if ('functionResponse' in part) {
    const response = part.functionResponse.response;
    if (JSON.stringify(response).length <= maxChars) return part;
    const key = typeof response.key === 'string' ? response.key : null;
    return {
      functionResponse: {
        ...part.functionResponse,
        response: compactRecord(response, maxChars, (field, bytes) => noteFor(field, bytes, key)),
      },
    };
  }
  return part;
}

function compactRecord(record: Record<string, unknown>, maxChars: number, note: (field: string, bytes: number) => string): Record<string, unknown> {
  const fieldLimit = Math.max(80, Math.floor(maxChars / 4));
  const compacted: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(record)) {
    const json = JSON.stringify(value) ?? '';
    compacted[field] = json.length <= fieldLimit ? value : note(field, Buffer.byteLength(json));
  }
  // Many medium fields can still add up: then the whole object becomes one note.
  const total = JSON.stringify(compacted);
  return total.length <= maxChars ? compacted : { note: note('content', Buffer.byteLength(JSON.stringify(record))) };
}

function noteFor(field: string, bytes: number, key: string | null): string {
  const size = bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;
  return `[${field} of ${size} not repeated here${key ? `; kept in memory under key "${key}"` : ''}]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
