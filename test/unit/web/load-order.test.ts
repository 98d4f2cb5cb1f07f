import { describe, expect, it } from 'vitest';
import { createLoadOrder } from '../../../web/src/load-order.ts';

describe('load order', () => {
  it('keeps only the newest load current', () => {
    const order = createLoadOrder();
    const first = order.begin();
    expect(first()).toBe(true);
    const second = order.begin();
    expect(first()).toBe(false);
    expect(second()).toBe(true);
  });

  it('makes every load begun before a clear stale, and the next one current', () => {
    const order = createLoadOrder();
    const before = order.begin();
    order.clear();
    expect(before()).toBe(false);
    expect(order.begin()()).toBe(true);
  });
});
