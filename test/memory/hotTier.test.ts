import { describe, expect, it } from 'vitest';
import { HotTier, type HotEntry } from '../../src/main/memory/hotTier';
import type { MemoryValueView } from '@shared/contract/memory';

function entry(key: string, bytes: number): HotEntry {
  return { kind: 'entry', id: 1, bytes, result: { key } as MemoryValueView };
}

describe('hot tier', () => {
  it('keeps each scope under its own cap by giving up that scope’s oldest items, and the whole cache under its cap', () => {
    const hot = new HotTier(1000, 2500);
    const session = HotTier.scopeKey('c1', 's1');
    const other = HotTier.scopeKey('c2', null);
    for (let i = 0; i < 5; i++) hot.setEntry(session, `k${i}`, entry(`k${i}`, 300));
    expect(hot.scopeUse(session)).toBeLessThanOrEqual(1000);
    expect(hot.getEntry(session, 'k0')).toBeUndefined();
    expect(hot.getEntry(session, 'k4')).toBeDefined();
    for (let i = 0; i < 3; i++) hot.setEntry(other, `k${i}`, entry(`k${i}`, 300));
    hot.setEntry(HotTier.scopeKey('c3', null), 'x', entry('x', 900));
    expect(hot.figures().bytes).toBeLessThanOrEqual(2500);
    hot.dropUser('c1');
    expect(hot.scopeUse(session)).toBe(0);
    expect(hot.getEntry(session, 'k4')).toBeUndefined();
  });

  it('tells scopes apart whatever the ids contain, __proto__ and quotes included', () => {
    const hot = new HotTier(1000, 10_000);
    const tricky = [
      HotTier.scopeKey('__proto__', null),
      HotTier.scopeKey('a"]', 'b'),
      HotTier.scopeKey('a', '"]b'),
      HotTier.scopeKey('constructor', 'toString'),
    ];
    expect(new Set(tricky).size).toBe(4);
    tricky.forEach((scope, i) => hot.setEntry(scope, '__proto__', entry(`v${i}`, 10)));
    tricky.forEach((scope, i) => expect(hot.getEntry(scope, '__proto__')?.result.key).toBe(`v${i}`));
    hot.dropUser('a"]');
    expect(hot.getEntry(tricky[1]!, '__proto__')).toBeUndefined();
    expect(hot.getEntry(tricky[2]!, '__proto__')).toBeDefined();
    expect(hot.figures()).toEqual({ bytes: 30, entries: 3 });
  });
});
