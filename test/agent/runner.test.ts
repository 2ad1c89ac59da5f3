import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, type AgentCallbacks } from '../../src/main/agent/agent';
import { GeminiModelClient } from '../../src/main/agent/geminiClient';
import { Runner } from '../../src/main/agent/runner';
import { startGeminiStandin, type GeminiStandin } from '../helpers/geminiStandin';
import { FunctionTool } from '../../src/main/agent/tool';
import type { ChatEventBody } from '@shared/contract/chat';
import { openMemory, type OpenedMemory } from '../memory/helpers';
import { tempDir } from '../helpers/tempDir';
import { GEMINI_KEY, summarizeTurn } from './harness';

/** A tool that waits for its abort signal: what a hung store call looks like to the runner. */
const hangingTool = new FunctionTool({
  name: 'slow_lookup',
  description: 'Never answers by itself.',
  parameters: z.object({}).strict(),
  execute: (_args, context) =>
    new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason as Error), { once: true })),
});
const echoTool = new FunctionTool({
  name: 'echo',
  description: 'Echoes its text.',
  parameters: z.object({ text: z.string().min(1) }).strict(),
  execute: ({ text }) => ({ echoed: text }),
});

describe('Runner on the Gemini stand-in with the real session service', () => {
  let memory: OpenedMemory;
  let gemini: GeminiStandin;
  let client: GeminiModelClient;
  beforeEach(async () => {
    memory = openMemory(tempDir());
    memory.sessions.createSession({ userId: 'u1', sessionId: 's1' });
    gemini = await startGeminiStandin({ apiKey: GEMINI_KEY });
    client = new GeminiModelClient({
      apiKey: GEMINI_KEY,
      baseUrl: gemini.baseUrl,
      retry: { attempts: 1, initialDelaySeconds: 0.01, maxDelaySeconds: 0.01 },
    });
  });
  afterEach(async () => {
    await memory.shutdown();
    await gemini.close();
  });

  function runner(root: Agent, options: Partial<ConstructorParameters<typeof Runner>[0]> = {}): Runner {
    return new Runner({ rootAgent: root, sessions: memory.sessions, model: () => ({ client, name: 'gemini-2.5-flash' }), ...options });
  }
  async function run(target: Runner, message = 'xin chào', signal?: AbortSignal) {
    const events: ChatEventBody[] = [];
    for await (const event of target.run({ userId: 'u1', sessionId: 's1', message, ...(signal ? { signal } : {}) })) events.push(event);
    return summarizeTurn(events);
  }
  const eventCount = () => memory.sessions.getSession({ userId: 'u1', sessionId: 's1' }).events.length;

  it('streams text, appends every event to the session and declares the tools as JSON schema', async () => {
    gemini.enqueue(
      { reply: { functionCalls: [{ name: 'echo', args: { text: 'hi' } }] } },
      { expect: { functionResponse: 'echo' }, reply: { text: ['Xin ', 'chào'] } },
    );
    const turn = await run(runner(new Agent({ name: 'root', description: 'r', instruction: 'Be brief.', tools: [echoTool] })));
    expect(turn.text).toBe('Xin chào');
    expect(turn.events.filter((event) => event.type === 'text').map((event) => (event as { delta: string }).delta)).toEqual(['Xin ', 'chào']);
    expect(turn.results[0]).toMatchObject({ ok: true, result: { echoed: 'hi' } });
    const declared = gemini.requests[0]!.body.tools![0]!.functionDeclarations![0]!;
    expect(declared).toMatchObject({ name: 'echo', parametersJsonSchema: { type: 'object', properties: { text: { type: 'string' } } } });
    const events = memory.sessions.getSession({ userId: 'u1', sessionId: 's1' }).events;
    // Gemini 3 ends a text answer with an empty part that carries its signature; it is kept as received.
    expect(events.map((event) => `${event.author}:${event.kind}`)).toEqual([
      'user:message',
      'root:tool_call',
      'root:tool_result',
      'root:message',
      'root:message',
    ]);
    expect(events.at(-1)!.content).toEqual({ text: '', thoughtSignature: expect.any(String) as string });
    expect(events[1]!.content).toMatchObject({ name: 'echo', thoughtSignature: expect.any(String) as string });
    expect(gemini.failures).toEqual([]);
  });

  it('transfers to a sub-agent whose tools then are the ones declared', async () => {
    const child = new Agent({ name: 'child', description: 'echoes', instruction: 'Child.', tools: [echoTool] });
    const root = new Agent({ name: 'root', description: 'r', instruction: 'Root.', subAgents: [child] });
    gemini.enqueue(
      {
        expect: { tools: ['transfer_to_agent'], noTools: ['echo'] },
        reply: { functionCalls: [{ name: 'transfer_to_agent', args: { agent_name: 'child' } }] },
      },
      { expect: { tools: ['echo', 'transfer_to_agent'], systemIncludes: ['Child.'] }, reply: { text: 'from child' } },
    );
    const turn = await run(runner(root));
    expect(turn.events.find((event) => event.type === 'transfer')).toEqual({ type: 'transfer', from: 'root', to: 'child' });
    expect(turn.text).toBe('from child');
    expect(gemini.failures).toEqual([]);
  });

  it('feeds malformed arguments and unknown tools back to the model as tool errors', async () => {
    gemini.enqueue(
      {
        reply: {
          functionCalls: [
            { name: 'echo', args: { text: 7 } },
            { name: 'nope', args: {} },
          ],
        },
      },
      { expect: { contentsInclude: ['invalid_arguments', 'unknown_tool'] }, reply: { text: 'sorry' } },
    );
    const turn = await run(runner(new Agent({ name: 'root', description: 'r', instruction: 'i', tools: [echoTool] })));
    expect(turn.status).toBe('completed');
    expect(turn.results.map((result) => result.ok)).toEqual([false, false]);
    expect(gemini.failures).toEqual([]);
  });

  it('stops a runaway tool loop after maxSteps with a clear error', async () => {
    gemini.setFallback(() => ({ functionCalls: [{ name: 'echo', args: { text: 'again' } }] }));
    const turn = await run(runner(new Agent({ name: 'root', description: 'r', instruction: 'i', tools: [echoTool] }), { maxSteps: 3 }));
    expect(turn.status).toBe('failed');
    expect(turn.error).toMatchObject({ code: 'tool_error', message: expect.stringContaining('3 model steps') });
    expect(gemini.requests).toHaveLength(3);
  });

  it('times out one tool, tells the model, and goes on', async () => {
    gemini.enqueue(
      { reply: { functionCalls: [{ name: 'slow_lookup', args: {} }] } },
      { expect: { contentsInclude: ['timeout'] }, reply: { text: 'The lookup timed out.' } },
    );
    const turn = await run(runner(new Agent({ name: 'root', description: 'r', instruction: 'i', tools: [hangingTool] }), { toolTimeoutMs: 50 }));
    expect(turn.status).toBe('completed');
    expect(turn.results[0]).toMatchObject({ ok: false, result: { error: { code: 'timeout' } } });
  });

  it('cancels work a tool left running once the tool has answered', async () => {
    let leftover: AbortSignal | null = null;
    const spawner = new FunctionTool({
      name: 'spawn',
      description: 'Starts background work and answers at once.',
      parameters: z.object({}).strict(),
      execute: (_args, context) => {
        leftover = context.signal;
        return { started: true };
      },
    });
    gemini.enqueue({ reply: { functionCalls: [{ name: 'spawn', args: {} }] } }, { reply: { text: 'ok' } });
    await run(runner(new Agent({ name: 'root', description: 'r', instruction: 'i', tools: [spawner] })));
    expect(leftover!.aborted).toBe(true);
  });

  it('ends a run at its deadline', async () => {
    gemini.enqueue({ reply: { functionCalls: [{ name: 'slow_lookup', args: {} }] } });
    const turn = await run(runner(new Agent({ name: 'root', description: 'r', instruction: 'i', tools: [hangingTool] }), { runDeadlineMs: 50 }));
    expect(turn.status).toBe('failed');
    expect(turn.error?.code).toBe('timeout');
  });

  it('cancels a pending tool call', async () => {
    gemini.enqueue({ reply: { functionCalls: [{ name: 'slow_lookup', args: {} }] } });
    const controller = new AbortController();
    const target = runner(new Agent({ name: 'root', description: 'r', instruction: 'i', tools: [hangingTool] }));
    const events: ChatEventBody[] = [];
    for await (const event of target.run({ userId: 'u1', sessionId: 's1', message: 'go', signal: controller.signal })) {
      events.push(event);
      if (event.type === 'tool_call') controller.abort();
    }
    const turn = summarizeTurn(events);
    expect(turn.status).toBe('cancelled');
    expect(target.activeRuns).toBe(0);
    expect(memory.sessions.getSession({ userId: 'u1', sessionId: 's1' }).events.at(-1)).toMatchObject({
      kind: 'error',
      content: { code: 'cancelled' },
    });
  });

  it('refuses a second message while the session is answering, and bad input before writing anything', async () => {
    gemini.enqueue({ reply: { text: 'wait', hang: true } });
    const target = runner(new Agent({ name: 'root', description: 'r', instruction: 'i' }));
    const controller = new AbortController();
    const first = await target.start({ userId: 'u1', sessionId: 's1', message: 'first', signal: controller.signal });
    const before = eventCount();
    await expect(target.start({ userId: 'u1', sessionId: 's1', message: 'second' })).rejects.toMatchObject({ code: 'busy' });
    await expect(target.start({ userId: 'u1', sessionId: 's1', message: '   ' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(target.start({ userId: 'u1', sessionId: 'missing', message: 'hi' })).rejects.toMatchObject({ code: 'not_found' });
    expect(eventCount()).toBe(before);
    controller.abort();
    const events: ChatEventBody[] = [];
    for await (const event of first.events) events.push(event);
    expect(summarizeTurn(events).status).toBe('cancelled');
  });

  it("calls runner-wide callbacks before the agent's, and the first non-undefined result short-circuits", async () => {
    const calls: string[] = [];
    const trace = (tag: string): AgentCallbacks => ({
      beforeAgent: () => void calls.push(`${tag}.beforeAgent`),
      beforeModel: () => void calls.push(`${tag}.beforeModel`),
      afterModel: () => void calls.push(`${tag}.afterModel`),
      beforeTool: () => void calls.push(`${tag}.beforeTool`),
      afterTool: () => void calls.push(`${tag}.afterTool`),
      afterAgent: () => void calls.push(`${tag}.afterAgent`),
    });
    const blockEcho: AgentCallbacks = { beforeTool: (_context, tool) => (tool.name === 'echo' ? { blocked: true } : undefined) };
    const never: AgentCallbacks = { beforeTool: () => void calls.push('never') };
    const root = new Agent({ name: 'root', description: 'r', instruction: 'i', tools: [echoTool], callbacks: [trace('agent'), blockEcho, never] });
    gemini.enqueue({ reply: { functionCalls: [{ name: 'echo', args: { text: 'x' } }] } }, { reply: { text: 'done' } });
    const turn = await run(runner(root, { callbacks: [trace('runner')] }));
    expect(turn.results[0]).toMatchObject({ ok: true, result: { blocked: true } });
    expect(calls).toEqual([
      'runner.beforeAgent',
      'agent.beforeAgent',
      'runner.beforeModel',
      'agent.beforeModel',
      'runner.afterModel',
      'agent.afterModel',
      'runner.beforeTool',
      'agent.beforeTool',
      'runner.afterTool',
      'agent.afterTool',
      'runner.beforeModel',
      'agent.beforeModel',
      'runner.afterModel',
      'agent.afterModel',
      'runner.afterAgent',
      'agent.afterAgent',
    ]);
  });

  it('lets beforeAgent answer without the model, beforeModel replace the call, afterModel and afterTool and afterAgent replace results', async () => {
    const greeter = runner(new Agent({ name: 'root', description: 'r', instruction: 'i', callbacks: [{ beforeAgent: () => 'Closed today.' }] }));
    expect((await run(greeter)).text).toBe('Closed today.');
    expect(gemini.requests).toHaveLength(0);

    const scripted = runner(
      new Agent({
        name: 'root',
        description: 'r',
        instruction: 'i',
        tools: [echoTool],
        callbacks: [
          {
            beforeModel: (context) =>
              context.runState.has('echoed') ? undefined : { text: '', functionCalls: [{ name: 'echo', args: { text: 'from callback' } }] },
          },
          { afterTool: (context, _tool, _args, result) => (context.runState.set('echoed', true), { ...result, checked: true }) },
          { afterModel: (_context, response) => ({ ...response, text: response.text.toUpperCase() }) },
          { afterAgent: (_context, reply) => `${reply}!` },
        ],
      }),
    );
    gemini.enqueue({ expect: { contentsInclude: ['from callback', 'checked'] }, reply: { text: 'ok' } });
    const turn = await run(scripted);
    expect(turn.results[0]).toMatchObject({ result: { echoed: 'from callback', checked: true } });
    expect(turn.text).toBe('OK!');
    expect(turn.events.filter((event) => event.type === 'text_replaced')).toHaveLength(2);
    expect(gemini.failures).toEqual([]);
  });

  it('pairs afterAgent with beforeAgent even when the run fails', async () => {
    let held = 0;
    const resources: AgentCallbacks = { beforeAgent: () => void held++, afterAgent: () => void held-- };
    gemini.enqueue({ reply: { error: { status: 500 } } });
    const turn = await run(runner(new Agent({ name: 'root', description: 'r', instruction: 'i' }), { callbacks: [resources] }));
    expect(turn.status).toBe('failed');
    expect(turn.error?.code).toBe('model_error');
    expect(held).toBe(0);
  });

  it("leaves no listener on the caller's signal and no run behind after many runs", async () => {
    const shared = new AbortController();
    gemini.setFallback(() => ({ text: 'ok' }));
    const target = runner(new Agent({ name: 'root', description: 'r', instruction: 'i' }));
    for (let i = 0; i < 50; i++) await run(target, `message ${i}`, shared.signal);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(target.activeRuns).toBe(0);
  });

  it('turns an abort reason that is not typed into cancelled', async () => {
    gemini.enqueue({ reply: { text: 'x', hang: true } });
    const controller = new AbortController();
    const events: ChatEventBody[] = [];
    for await (const event of runner(new Agent({ name: 'root', description: 'r', instruction: 'i' })).run({
      userId: 'u1',
      sessionId: 's1',
      message: 'hi',
      signal: controller.signal,
    })) {
      events.push(event);
      if (event.type === 'text') controller.abort(new Error('window closed'));
    }
    expect(summarizeTurn(events).error).toMatchObject({ code: 'cancelled' });
  });
});
