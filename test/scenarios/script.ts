/** Building blocks of the scripted scenarios: Gemini stand-in steps and turn expectations. */
import type { GeminiRequestBody, StandinExpectations, StandinStep } from '../helpers/geminiStandin';
import type { RunStatus } from '@shared/contract/chat';
import type { ErrorCode } from '@shared/errors';
import type { AgentHarness, Mode, TurnResult } from '../agent/harness';

export interface TurnExpect {
  /** Tool calls in order (transfers included). */
  tools?: string[];
  /** Checked against the answer in offline mode (Gemini's text is scripted). */
  text?: (string | RegExp)[];
  notText?: string[];
  status?: RunStatus;
  error?: ErrorCode;
  /** Every tool result succeeded (or, when false, at least one failed). */
  toolsOk?: boolean;
}

export type Step =
  | {
      say: string;
      user?: string;
      session?: string;
      expect: TurnExpect;
      /** The model's side of this turn on the Gemini stand-in; without it the turn runs offline only. */
      gemini?: StandinStep[];
      /** Cancel the run when the first text delta (`text`) or the first call of this tool arrives. */
      cancelOn?: string;
    }
  | { act: (h: AgentHarness, mode: Mode) => void | Promise<void> };

export interface Scenario {
  name: string;
  language: 'vi' | 'en';
  /** Defaults to both; scenarios about model misbehaviour run on Gemini only. */
  modes?: Mode[];
  steps: Step[];
}

export const scenario = (name: string, language: 'vi' | 'en', steps: Step[], modes?: Mode[]): Scenario => ({
  name,
  language,
  steps,
  ...(modes ? { modes } : {}),
});

/** The response of the last function response in the request (what the model just learned). */
export function lastResponse(body: GeminiRequestBody): Record<string, unknown> {
  const parts = body.contents?.at(-1)?.parts ?? [];
  const response = [...parts].reverse().find((part) => part.functionResponse)?.functionResponse as { response?: Record<string, unknown> } | undefined;
  return response?.response ?? {};
}

export function firstSku(body: GeminiRequestBody): string {
  const items = lastResponse(body).items as { sku: string }[] | undefined;
  if (!items?.[0]) throw new Error('the last function response has no items');
  return items[0].sku;
}

/** The first searched product of the pack asked for (in stock first), as a model reading `packMatch` picks it. */
export function packSku(body: GeminiRequestBody): string {
  const items = (lastResponse(body).items as { sku: string; packMatch?: boolean; inStock: boolean }[] | undefined) ?? [];
  const item =
    items.find((candidate) => candidate.packMatch === true && candidate.inStock) ?? items.find((candidate) => candidate.packMatch === true);
  if (!item) throw new Error('the last search found nothing of the pack asked for');
  return item.sku;
}

export function lineId(body: GeminiRequestBody, nameIncludes: string): string {
  const lines = lastResponse(body).lines as { itemId: string; name: string }[] | undefined;
  const line = lines?.find((candidate) => candidate.name.toLowerCase().includes(nameIncludes.toLowerCase()));
  if (!line) throw new Error(`no cart line with "${nameIncludes}"`);
  return line.itemId;
}

export const g = {
  transfer: (agent: string, expect?: StandinExpectations): StandinStep => ({
    ...(expect ? { expect } : {}),
    reply: { functionCalls: [{ name: 'transfer_to_agent', args: { agent_name: agent } }] },
  }),
  call: (name: string, args: unknown, expect?: StandinExpectations): StandinStep => ({
    ...(expect ? { expect } : {}),
    reply: { functionCalls: [{ name, args }] },
  }),
  /** A call whose arguments depend on what the model saw (e.g. the sku found by the search). */
  callFrom: (name: string, args: (body: GeminiRequestBody) => unknown, expect?: StandinExpectations): StandinStep => ({
    ...(expect ? { expect } : {}),
    reply: (body) => ({ functionCalls: [{ name, args: args(body) }] }),
  }),
  answer: (text: string, expect?: StandinExpectations): StandinStep => ({ ...(expect ? { expect } : {}), reply: { text } }),
};

export function checkTurn(turn: TurnResult, expect: TurnExpect, mode: Mode): string[] {
  const problems: string[] = [];
  const status = expect.status ?? 'completed';
  if (turn.status !== status) problems.push(`status ${turn.status}, expected ${status} (${JSON.stringify(turn.error)})`);
  if (expect.error && turn.error?.code !== expect.error) problems.push(`error ${turn.error?.code}, expected ${expect.error}`);
  if (expect.tools && JSON.stringify(turn.tools) !== JSON.stringify(expect.tools)) {
    problems.push(`tools ${JSON.stringify(turn.tools)}, expected ${JSON.stringify(expect.tools)}`);
  }
  if (expect.toolsOk !== undefined) {
    const allOk = turn.results.every((result) => result.ok);
    if (allOk !== expect.toolsOk) problems.push(`tool results ${JSON.stringify(turn.results.map((r) => r.result))}`);
  }
  if (mode === 'offline') {
    for (const wanted of expect.text ?? []) {
      const ok = typeof wanted === 'string' ? turn.text.includes(wanted) : wanted.test(turn.text);
      if (!ok) problems.push(`answer lacks ${String(wanted)}: ${turn.text}`);
    }
    for (const unwanted of expect.notText ?? []) if (turn.text.includes(unwanted)) problems.push(`answer has "${unwanted}": ${turn.text}`);
  }
  return problems;
}
