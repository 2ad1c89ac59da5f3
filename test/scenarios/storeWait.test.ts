/**
 * "Đang chờ cửa hàng trả lời…": a tool's store call that keeps the staff waiting reaches the chat as
 * a `store_wait` event, between the call and its result. The real search tool on the real store
 * client, against a loopback store that never answers, on a clock the test moves; the model's side
 * is a two-step script (call the tool, then answer).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatEventBody } from '@shared/contract/chat';
import { Agent } from '../../src/main/agent/agent';
import type { ModelChunk, ModelClient, ModelRequest } from '../../src/main/agent/model';
import { Runner } from '../../src/main/agent/runner';
import { createProductTools } from '../../src/main/agent/tools/productTools';
import { clientFor, flush, ManualClock, startStandin } from '../commerce/helpers';
import { openMemory, type OpenedMemory } from '../memory/helpers';
import { tempDir } from '../helpers/tempDir';

/** Calls `search_products` once, then answers with whatever the tool said. */
const scriptedModel: ModelClient = {
  provider: 'offline',
  async *generate(request: ModelRequest): AsyncGenerator<ModelChunk> {
    const answered = request.contents.some((content) => content.parts.some((part) => 'functionResponse' in part));
    if (!answered) yield { type: 'function_call', call: { name: 'search_products', args: { query: 'sữa tươi' } } };
    else yield { type: 'text', text: 'Cửa hàng chưa trả lời.' };
  },
};

let memory: OpenedMemory | null = null;
afterEach(async () => {
  await memory?.shutdown();
  memory = null;
});

describe('the chat hears that the store keeps it waiting', () => {
  it('streams store_wait after 2 s without an answer, before the tool result, and the failure in the staff language at 10 s', async () => {
    const server = await startStandin({ faults: { hang: true } });
    const clock = new ManualClock();
    const commerce = clientFor(server, { clock });
    memory = openMemory(tempDir());
    memory.sessions.createSession({ userId: 'kh-a', sessionId: 's1' });
    const root = new Agent({
      name: 'product_agent',
      description: 'products',
      instruction: 'Tìm sản phẩm.',
      tools: [createProductTools(commerce).search],
    });
    const runner = new Runner({ rootAgent: root, sessions: memory.sessions, model: () => ({ client: scriptedModel, name: 'scripted' }) });

    const events: ChatEventBody[] = [];
    const run = (async () => {
      for await (const event of runner.run({ userId: 'kh-a', sessionId: 's1', message: 'tìm sữa tươi' })) events.push(event);
    })();
    // The clock moves once the search has started (the run first reads the session).
    for (let turns = 0; turns < 100 && !events.some((event) => event.type === 'tool_call'); turns++) await flush();
    await clock.advance(1999);
    expect(events.map((event) => event.type)).not.toContain('store_wait');
    await clock.advance(1);
    expect(events.at(-1)).toMatchObject({ type: 'store_wait', agent: 'product_agent', reason: 'slow', seconds: 2 });
    await clock.advance(8000);
    await run;

    const types = events.map((event) => event.type);
    expect(types.slice(0, 4)).toEqual(['started', 'tool_call', 'store_wait', 'tool_result']);
    const call = events.find((event) => event.type === 'tool_call')!;
    expect(events.find((event) => event.type === 'store_wait')).toMatchObject({ callId: (call as { callId: string }).callId });
    expect(events.find((event) => event.type === 'tool_result')).toMatchObject({
      ok: false,
      result: { error: { code: 'timeout', message: 'Cửa hàng không trả lời trong 10 giây.' } },
    });
    expect(events.at(-1)).toMatchObject({ type: 'done', status: 'completed' });
  });
});
