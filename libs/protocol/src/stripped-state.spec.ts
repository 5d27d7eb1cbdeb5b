import type { Pdu } from './events';
import { strippedState, strippedStateEvents, stripEvent } from './stripped-state';

const event = (type: string, state_key: string, content: Record<string, unknown>): Pdu =>
  ({
    type,
    state_key,
    content,
    sender: '@alice:hs1',
    room_id: '!r:hs1',
    origin_server_ts: 1,
    depth: 1,
    prev_events: [],
    auth_events: [],
    hashes: { sha256: 'x' },
    signatures: {},
  }) as unknown as Pdu;

const state = [
  event('m.room.create', '', { room_version: '11' }),
  event('m.room.name', '', { name: 'Chat' }),
  event('m.room.power_levels', '', {}),
  event('m.room.member', '@alice:hs1', { membership: 'join' }),
  event('m.room.member', '@carol:hs1', { membership: 'leave' }),
];

describe('stripped state', () => {
  it('selects the stripped-state types and the joined or invited members, as whole events for federation', () => {
    const selected = strippedStateEvents(state);
    expect(selected.map((e) => e.type)).toEqual(['m.room.create', 'm.room.name', 'm.room.member']);
    expect(selected[0]).toHaveProperty('origin_server_ts', 1);
  });

  it('gives clients only type, state key, sender and content', () => {
    expect(strippedState(state)[0]).toEqual({
      type: 'm.room.create',
      state_key: '',
      sender: '@alice:hs1',
      content: { room_version: '11' },
    });
  });

  it('prunes what another server sent before a client sees it', () => {
    expect(Object.keys(stripEvent(state[0])).sort()).toEqual(['content', 'sender', 'state_key', 'type']);
  });
});
