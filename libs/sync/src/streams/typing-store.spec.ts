import { TypingStore } from './typing-store';

describe('TypingStore', () => {
  it('reports typing users to syncs from before the change only', () => {
    const store = new TypingStore(() => 0);
    const before = store.currentPosition;
    store.set('!r', '@a', true, 30_000);
    expect(store.typingSince('!r', before)).toEqual(['@a']);
    expect(store.typingSince('!r', store.currentPosition)).toBeUndefined();
  });

  it('times typing out', () => {
    let now = 0;
    const store = new TypingStore(() => now);
    store.set('!r', '@a', true, 1_000);
    now = 2_000;
    expect(store.expire()).toEqual(['!r']);
    expect(store.typingSince('!r', 0n)).toEqual([]);
  });

  it('clears typing when told', () => {
    const store = new TypingStore(() => 0);
    store.set('!r', '@a', true, 30_000);
    store.set('!r', '@a', false, 0);
    expect(store.typingSince('!r', 0n)).toEqual([]);
  });
});
