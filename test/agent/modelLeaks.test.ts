/**
 * What the tools return to the model carries no internal ids: no customer id, no session, event,
 * run or turn id, no cart id, no URL. Every tool runs for real (memory on SQLite, commerce on the
 * stand-in store) and every request the Gemini stand-in receives is checked, as is the next turn's
 * replay of the conversation from the session. The UI still gets the image URLs in `tool_result`.
 */
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_NAMES, TOOL_NAMES } from '@shared/agentNames';
import { toolProducts } from '@shared/contract/toolResults';
import type { GeminiRequestBody, StandinReply } from '../helpers/geminiStandin';
import { startHarness, type AgentHarness } from './harness';

let harness: AgentHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const URL = /https?:\/\//i;

/** The function responses of the last content, by tool name. */
function responsesOf(body: GeminiRequestBody): Map<string, Record<string, unknown>[]> {
  const found = new Map<string, Record<string, unknown>[]>();
  for (const part of body.contents?.at(-1)?.parts ?? []) {
    const response = part.functionResponse as { name: string; response: Record<string, unknown> } | undefined;
    if (response) found.set(response.name, [...(found.get(response.name) ?? []), response.response]);
  }
  return found;
}

describe('tool results sent to the model', () => {
  it('carry no customer, session, run, event or cart id and no URL, for every tool', async () => {
    harness = await startHarness({ mode: 'gemini', limits: { maxSteps: 12, contextPolicy: { recentEvents: 200, memories: 5 } } });
    const h = harness;
    const customer = 'khach-7f3a9c-0042';
    const earlier = crypto.randomUUID();
    const session = crypto.randomUUID();
    h.session(customer, earlier);
    h.session(customer, session);
    // Data another conversation keeps (search hits of the customer carry ids in the memory service's own view).
    h.memory.memory.memorize({ userId: customer }, 'sữa', 'sữa tươi không đường', {
      provenance: { sessionId: earlier, turnId: crypto.randomUUID() },
    });
    h.memory.sessions.appendEvent({
      userId: customer,
      sessionId: session,
      event: { author: 'user', kind: 'message', content: 'khách thích sữa tươi' },
    });
    const found = await h.commerce.searchProducts({ query: 'sữa', pageSize: 5 });
    const skus = found.items.map((item) => item.sku);
    expect(skus.length).toBeGreaterThanOrEqual(3);
    expect(found.items.some((item) => item.imageUrl && URL.test(item.imageUrl))).toBe(true);

    const call = (name: string, args: unknown = {}) => ({ name, args });
    const steps: (StandinReply | ((body: GeminiRequestBody) => StandinReply))[] = [
      {
        functionCalls: [
          call(TOOL_NAMES.memorize, { key: 'thích', value: 'sữa tươi' }),
          call(TOOL_NAMES.memorize, { key: 'tạm', value: 'bia', scope: 'session' }),
          call(TOOL_NAMES.memorizeList, { key: 'hay mua', items: ['gạo', 'mắm'] }),
          call(TOOL_NAMES.getMemory, { key: 'sữa' }),
          call(TOOL_NAMES.searchMemory, { query: 'sữa', limit: 20 }),
          call(TOOL_NAMES.forget, { key: 'tạm' }),
          call(TOOL_NAMES.transferToAgent, { agent_name: AGENT_NAMES.product }),
        ],
      },
      {
        functionCalls: [
          call(TOOL_NAMES.searchProducts, { query: 'sữa', limit: 5 }),
          call(TOOL_NAMES.productDetails, { sku: skus[0] }),
          call(TOOL_NAMES.compareProducts, { skus: skus.slice(0, 2) }),
          call(TOOL_NAMES.findIngredients, { dish: 'sinh tố', ingredients: ['sữa', 'đường'] }),
          call(TOOL_NAMES.transferToAgent, { agent_name: AGENT_NAMES.root }),
        ],
      },
      { functionCalls: [call(TOOL_NAMES.transferToAgent, { agent_name: AGENT_NAMES.cart })] },
      {
        functionCalls: [
          call(TOOL_NAMES.createCart),
          call(TOOL_NAMES.addToCart, { sku: skus[1], quantity: 1 }),
          call(TOOL_NAMES.addToCart, { sku: skus[2], quantity: 2 }),
          call(TOOL_NAMES.getCart),
        ],
      },
      (body) => {
        const cart = responsesOf(body).get(TOOL_NAMES.getCart)![0] as { lines: { itemId: string }[] };
        return {
          functionCalls: [
            call(TOOL_NAMES.updateCartItem, { item_id: cart.lines[0]!.itemId, quantity: 3 }),
            call(TOOL_NAMES.removeCartItem, { item_id: cart.lines[1]!.itemId }),
            call(TOOL_NAMES.searchProducts, { query: 'bia' }),
          ],
        };
      },
      { text: 'Dạ, xong.' },
    ];
    h.gemini.enqueue(...steps.map((reply) => ({ reply })));
    const turn = await h.say(customer, session, 'ghi nhớ và thêm sữa vào giỏ');
    expect(turn.error).toBeUndefined();
    expect(turn.status).toBe('completed');
    expect(h.gemini.failures).toEqual([]);
    const everyTool = [...Object.values(TOOL_NAMES)];
    expect(new Set(turn.tools)).toEqual(new Set(everyTool));
    expect(turn.results.filter((result) => !result.ok)).toEqual([]);

    // The next turn replays the whole conversation from the session: checked too.
    h.gemini.enqueue({ reply: { text: 'Dạ.' } });
    await h.say(customer, session, 'cảm ơn');

    const carts = [...(h.store as unknown as { resolvers: { carts: Map<string, unknown> } }).resolvers.carts.keys()];
    expect(carts.length).toBeGreaterThan(0);
    const sent = h.gemini.requests.map((request) => JSON.stringify(request.body));
    expect(sent.length).toBe(steps.length + 1);
    const runIds = turn.events
      .flatMap((event) => Object.values(event))
      .filter((value): value is string => typeof value === 'string' && UUID.test(value));
    for (const body of sent) {
      expect(body).not.toMatch(UUID);
      expect(body).not.toMatch(URL);
      for (const secret of [customer, session, earlier, ...carts, ...runIds]) expect(body).not.toContain(secret);
    }
    // The function responses the model got are there (the check above read real results).
    expect(sent.at(-1)).toContain(skus[0]);
    expect(sent.at(-1)).toContain('sữa tươi không đường');

    // The UI still gets the full results: product cards with their images.
    const search = turn.results.find((result) => result.name === TOOL_NAMES.searchProducts)!;
    const cards = toolProducts(search.name, search.result)!;
    expect(cards.products.some((product) => product.imageUrl && URL.test(product.imageUrl))).toBe(true);
    // And so does the session's history (what the chat shows when a conversation is reopened).
    const history = h.memory.sessions.listEvents({ userId: customer, sessionId: session, limit: 200 });
    expect(JSON.stringify(history)).toMatch(URL);
  });
});
