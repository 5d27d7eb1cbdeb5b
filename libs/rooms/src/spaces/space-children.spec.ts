import type { JsonObject } from '@lattice/protocol';
import { childStateEvents, spaceChildren } from './space-children';

const child = (roomId: string, ts: number, content: JsonObject) => ({
  type: 'm.space.child',
  state_key: roomId,
  sender: '@a:x',
  origin_server_ts: ts,
  content,
});

describe('space children', () => {
  it('orders by valid order key, then timestamp, then room ID (client-server-api "Ordering of children within a space")', () => {
    const state = [
      child('!c', 1640841000000, { order: 'first', via: ['x'] }),
      child('!a', 1640141000000, { order: 'aaaa', via: ['x'] }),
      child('!b', 1640341000000, { order: ' ', via: ['x'] }),
      child('!e', 1, { via: ['x'] }),
      child('!d', 1, { via: ['x'] }),
      child('!f', 0, { order: 'bad\u00e9', via: ['x'] }),
    ];
    expect(childStateEvents(state).map((e) => e.state_key)).toEqual(['!b', '!a', '!c', '!f', '!d', '!e']);
  });

  it('drops children without a via, and other state', () => {
    const state = [
      child('!gone', 1, {}),
      child('!empty', 2, { via: [] }),
      { ...child('!x', 3, { via: ['x'] }), type: 'm.room.name' },
      child('!kept', 4, { via: ['x'] }),
    ];
    expect(childStateEvents(state).map((e) => e.state_key)).toEqual(['!kept']);
  });

  it('keeps only suggested children when asked', () => {
    const events = childStateEvents([child('!a', 1, { via: ['x'] }), child('!b', 2, { via: ['y'], suggested: true })]);
    expect(spaceChildren(events, true)).toEqual([{ roomId: '!b', via: ['y'], suggested: true }]);
    expect(spaceChildren(events, false).map((c) => c.roomId)).toEqual(['!a', '!b']);
  });
});
