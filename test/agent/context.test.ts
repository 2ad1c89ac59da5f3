import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { composeSystemInstruction, contentsFromEvents, gatherMemoryContext } from '../../src/main/agent/context';
import type { SessionEvent } from '@shared/contract/memory';
import { openMemory, type OpenedMemory } from '../memory/helpers';
import { tempDir } from '../helpers/tempDir';

describe('context policy', () => {
  let memory: OpenedMemory;
  beforeEach(() => {
    memory = openMemory(tempDir());
  });
  afterEach(() => memory.shutdown());

  it("takes every memory when they fit, and picks by the message's words when they do not", async () => {
    memory.memory.memorize({ userId: 'kh-a' }, 'sua', 'khách thích sữa không đường');
    const few = await gatherMemoryContext(memory.memory, { userId: 'kh-a', sessionId: 's1' }, 'xin chào', 5);
    expect(few.memories).toEqual(['sua: khách thích sữa không đường']);

    for (let i = 0; i < 12; i++) memory.memory.memorize({ userId: 'kh-a' }, `a-${i}`, `ghi chú thường số ${i}`);
    memory.memory.memorize({ userId: 'kh-a' }, 'z-ca-phe', 'khách uống cà phê Trung Nguyên');
    const many = await gatherMemoryContext(memory.memory, { userId: 'kh-a', sessionId: 's1' }, 'tìm ca phe cho khách', 5);
    expect(many.memories).toHaveLength(5);
    expect(many.memories).toContain('z-ca-phe: khách uống cà phê Trung Nguyên');
  });

  it('asks the search index when the customer has more memories than it reads at once', async () => {
    for (let i = 0; i < 110; i++) memory.memory.memorize({ userId: 'kh-a' }, `a-${String(i).padStart(3, '0')}`, `ghi chú thường số ${i}`);
    memory.memory.memorize({ userId: 'kh-a' }, 'z-tra', 'khách chỉ uống trà ô long');
    const context = await gatherMemoryContext(memory.memory, { userId: 'kh-a', sessionId: 's1' }, 'tìm trà ô long', 5);
    expect(context.memories).toHaveLength(5);
    expect(context.memories[0]).toBe('z-tra: khách chỉ uống trà ô long');
  });

  it("keeps a session's own memories to that session and another customer's out entirely", async () => {
    memory.memory.memorize({ userId: 'kh-a', sessionId: 's1' }, 'tam', 'chỉ trong lần này: giao trước 5 giờ');
    memory.memory.memorize({ userId: 'kh-b' }, 'b', 'khách B thích trà');
    const same = await gatherMemoryContext(memory.memory, { userId: 'kh-a', sessionId: 's1' }, 'giao hàng', 5);
    const later = await gatherMemoryContext(memory.memory, { userId: 'kh-a', sessionId: 's2' }, 'giao hàng', 5);
    expect(same.memories).toEqual(['tam: chỉ trong lần này: giao trước 5 giờ']);
    expect(later.memories).toEqual([]);
    expect(JSON.stringify([same, later])).not.toContain('trà');
  });

  it("puts memories and the summary into the system instruction under headings in the turn's language", () => {
    const text = composeSystemInstruction('Bạn là trợ lý.', { memories: ['sua: không đường'], summary: 'Lần trước mua bia Tiger.' }, 'vi');
    expect(text).toMatch(/^Bạn là trợ lý\.\n\nNhững điều đã ghi nhớ[^\n]*\n- sua: không đường\n\nTóm tắt[^\n]*\nLần trước mua bia Tiger\.$/);
    expect(composeSystemInstruction('x', { memories: [], summary: null }, 'en')).toBe('x');
  });

  it("starts the model's window at a user message, drops calls a cancel left unanswered and leaves bookkeeping out", () => {
    const event = (id: string, author: string, kind: SessionEvent['kind'], content: SessionEvent['content']): SessionEvent => ({
      id,
      author,
      kind,
      content,
      turnId: 't',
      timestamp: 1,
    });
    const contents = contentsFromEvents([
      event('1', 'cart_agent', 'tool_result', { id: 'c0', name: 'get_cart', response: { lines: [] } }),
      event('2', 'cart_agent', 'message', { text: 'Giỏ trống.' }),
      event('3', 'user', 'message', { text: 'tìm bia' }),
      event('4', 'mm_assistant', 'transfer', { from: 'mm_assistant', to: 'product_agent' }),
      event('5', 'product_agent', 'tool_call', { id: 'c1', name: 'search_products', args: { query: 'bia' } }),
      event('6', 'product_agent', 'tool_result', { id: 'c1', name: 'search_products', response: { total: 3 } }),
      event('7', 'product_agent', 'message', { text: 'Có 3 loại bia.' }),
      event('8', 'user', 'message', { text: 'chi tiết bia Tiger' }),
      event('9', 'product_agent', 'tool_call', { id: 'c2', name: 'get_product_details', args: { sku: '1' } }),
      event('10', 'product_agent', 'error', { code: 'cancelled', message: 'Stopped by the user.' }),
    ]);
    expect(contents).toEqual([
      { role: 'user', parts: [{ text: 'tìm bia' }] },
      { role: 'model', parts: [{ functionCall: { id: 'c1', name: 'search_products', args: { query: 'bia' } } }] },
      { role: 'user', parts: [{ functionResponse: { id: 'c1', name: 'search_products', response: { total: 3 } } }] },
      { role: 'model', parts: [{ text: 'Có 3 loại bia.' }] },
      { role: 'user', parts: [{ text: 'chi tiết bia Tiger' }] },
    ]);
  });
});
