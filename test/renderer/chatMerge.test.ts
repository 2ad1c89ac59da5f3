import { describe, expect, it } from 'vitest';
import { mergeHistory, type ChatItem } from '../../src/renderer/src/store/chatItems';

// After the event stream came back, the open conversation's newest page is read again and merged
// into what the chat shows (`useChatStore.resync`): what was shown stays as it was, what main
// stored meanwhile comes in, and what only the missed events would have corrected is replaced.
const run = 'run-1';
const user = (id: string, text: string): ChatItem => ({ id, kind: 'user', text, timestamp: 1 });
const answer = (id: string, text: string, streaming = false, turnId: string | null = run): ChatItem => ({
  id,
  kind: 'assistant',
  agent: 'mm_assistant',
  text,
  timestamp: 2,
  streaming,
  turnId,
});
const cards = (id: string): ChatItem => ({ id, kind: 'products', tool: 'search_products', products: [], foundBy: null, tried: [] });

describe('the conversation read again after a reconnect', () => {
  it('keeps what was shown (same items, same ids), older pages included, and adds what main stored meanwhile', () => {
    const older = user('e1', 'tìm gạo');
    const sent = user('local-5', 'tìm nước mắm');
    const card = cards(`${run}-call-1`);
    const shown = [older, answer('e2', 'Đây là gạo.', false, 'run-0'), sent, card];
    const page = [
      answer('e2', 'Đây là gạo.', false, 'run-0'),
      user('e3', 'tìm nước mắm'),
      cards(`${run}-call-1`),
      answer('e5', 'Có 3 loại nước mắm.'),
      { id: 'e6', kind: 'notice', text: 'cancelled' } as const,
    ];
    const { items, complete } = mergeHistory(shown, page, false);
    expect(complete).toBe(true);
    expect(items.map((item) => item.id)).toEqual(['e1', 'e2', 'local-5', `${run}-call-1`, 'e5', 'e6']);
    // The very objects shown: the list keeps its rows' sizes, the cards their state.
    expect(items[0]).toBe(older);
    expect(items[2]).toBe(sent);
    expect(items[3]).toBe(card);
  });

  it('replaces an answer shown in part (events missed) with the stored one, and closes one shown whole', () => {
    const partial = mergeHistory(
      [user('local-5', 'xin chào'), answer(`${run}-text-1`, 'Xin', true)],
      [user('e1', 'xin chào'), answer('e2', 'Xin chào anh!')],
      false,
    );
    expect(partial.items.map((item) => item.id)).toEqual(['local-5', 'e2']);
    const whole = mergeHistory(
      [user('local-5', 'xin chào'), answer(`${run}-text-1`, 'Xin chào anh!', true)],
      [user('e1', 'xin chào'), answer('e2', 'Xin chào anh!')],
      true,
    );
    expect(whole.items.map((item) => item.id)).toEqual(['local-5', `${run}-text-1`]);
    expect(whole.items[1]).toMatchObject({ streaming: false });
  });

  it('keeps the answer still streaming while its run runs, unless main stored an answer of that run not shown whole', () => {
    const shown = [user('local-5', 'tìm sữa'), answer(`${run}-text-1`, 'Đang', true)];
    expect(mergeHistory(shown, [user('e1', 'tìm sữa')], true).items.map((item) => item.id)).toEqual(['local-5', `${run}-text-1`]);
    expect(mergeHistory(shown, [user('e1', 'tìm sữa')], false).items.map((item) => item.id)).toEqual(['local-5']);
    expect(mergeHistory(shown, [user('e1', 'tìm sữa'), answer('e2', 'Đang tìm sữa cho anh.')], true).items.map((item) => item.id)).toEqual([
      'local-5',
      'e2',
    ]);
  });

  it('keeps a message whose send failed, with its retry, where it was', () => {
    const failed = user('local-7', 'xem giỏ hàng');
    const error: ChatItem = { id: 'error-7', kind: 'error', code: 'store_unavailable', message: 'unreachable', retryText: 'xem giỏ hàng' };
    const { items } = mergeHistory([user('e1', 'tìm gạo'), failed, error], [user('e1', 'tìm gạo'), answer('e2', 'Đây là gạo.')], false);
    expect(items.map((item) => item.id)).toEqual(['e1', 'e2', 'local-7', 'error-7']);
  });

  it('starts over from the page when it begins with an item not shown (more arrived than a page holds)', () => {
    const { items, complete } = mergeHistory(
      [user('e1', 'tìm gạo'), answer('e2', 'Đây là gạo.')],
      [user('e9', 'tìm muối'), answer('e10', 'Có muối.')],
      false,
    );
    expect(complete).toBe(false);
    expect(items.map((item) => item.id)).toEqual(['e9', 'e10']);
  });

  it('leaves what is shown as it is when main has nothing stored', () => {
    const shown = [user('local-5', 'xin chào')];
    expect(mergeHistory(shown, [], false)).toEqual({ items: shown, complete: true });
  });
});
