import { afterEach, describe, expect, it } from 'vitest';
import type { ChatEventBody } from '@shared/contract/chat';
import { startHarness, summarizeTurn, type AgentHarness, type Mode } from '../agent/harness';
import { scenarios } from './catalog';
import { checkTurn, type Step } from './script';

const DEFAULT_USER = 'kh-a';
const DEFAULT_SESSION = 's1';

let harness: AgentHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

const cases = scenarios.flatMap((scenario) =>
  (scenario.modes ?? (['offline', 'gemini'] as Mode[]))
    .filter((mode) => mode === 'offline' || scenario.steps.some((step) => 'say' in step && step.gemini))
    .map((mode) => ({ name: `${scenario.name} [${mode}]`, scenario, mode })),
);

describe('scripted scenarios', () => {
  it('has at least 40 scenarios in Vietnamese and English', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(40);
    expect(new Set(scenarios.map((scenario) => scenario.language))).toEqual(new Set(['vi', 'en']));
  });

  it.each(cases)('$name', async ({ scenario, mode }) => {
    const h = await startHarness({ mode });
    harness = h;
    for (const [index, step] of scenario.steps.entries()) {
      if ('act' in step) {
        await step.act(h, mode);
        continue;
      }
      const problems = await runTurn(h, step, mode);
      expect(problems, `step ${index + 1} "${step.say}"`).toEqual([]);
    }
  });
});

async function runTurn(h: AgentHarness, step: Extract<Step, { say: string }>, mode: Mode): Promise<string[]> {
  const userId = step.user ?? DEFAULT_USER;
  const sessionId = step.session ?? DEFAULT_SESSION;
  h.session(userId, sessionId);
  if (mode === 'gemini') {
    if (!step.gemini) throw new Error(`step "${step.say}" has no Gemini script`);
    h.gemini.enqueue(...step.gemini);
  }
  const requestsBefore = h.gemini.requests.length;
  const controller = new AbortController();
  const events: ChatEventBody[] = [];
  for await (const event of h.agent.runner.run({ userId, sessionId, message: step.say, signal: controller.signal })) {
    events.push(event);
    const trigger = event.type === 'text' ? 'text' : event.type === 'tool_call' ? event.name : null;
    if (step.cancelOn && trigger === step.cancelOn) controller.abort();
  }
  const problems = checkTurn(summarizeTurn(events), step.expect, mode);
  if (mode === 'gemini') {
    problems.push(...h.gemini.failures);
    if (h.gemini.pending > 0) problems.push(`${h.gemini.pending} scripted Gemini steps were not used`);
  } else if (h.gemini.requests.length !== requestsBefore) {
    problems.push('the offline planner called Gemini');
  }
  return problems;
}
