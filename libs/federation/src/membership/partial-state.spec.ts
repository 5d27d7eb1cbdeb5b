import type { JsonObject, Pdu } from '@lattice/protocol';
import { heroesOf, partialJoinState, partialStateOf, type OrderedStateEvent } from './partial-state';

let position = 0n;
function state(type: string, stateKey: string, content: JsonObject): OrderedStateEvent {
  position += 1n;
  const pdu = {
    type,
    state_key: stateKey,
    content,
    sender: '@creator:a.example',
    room_id: '!r:a.example',
  } as unknown as Pdu;
  return { eventId: `$${type}-${stateKey}`, pdu, streamPos: position };
}
const member = (userId: string, membership: string) => state('m.room.member', userId, { membership });
const keys = (events: OrderedStateEvent[]) => events.map((e) => `${e.pdu.type}|${e.pdu.state_key}`);

describe('partialJoinState (send_join with omit_members)', () => {
  const base = [
    state('m.room.create', '', {}),
    member('@creator:a.example', 'join'),
    state('m.room.power_levels', '', {}),
    state('m.room.join_rules', '', { join_rule: 'public' }),
  ];
  const crowd = Array.from({ length: 8 }, (_, i) => member(`@m${i}:b.example`, 'join'));

  it('keeps every non-member event and leaves other members out of a named room', () => {
    const kept = partialJoinState(
      [...base, state('m.room.name', '', { name: 'Lobby' }), ...crowd],
      '@joiner:c.example',
    );
    expect(keys(kept)).toEqual(['m.room.create|', 'm.room.power_levels|', 'm.room.join_rules|', 'm.room.name|']);
  });

  it("keeps the joining user's own earlier membership (an auth event of the join)", () => {
    const kept = partialJoinState(
      [
        ...base,
        state('m.room.canonical_alias', '', { alias: '#l:a.example' }),
        member('@joiner:c.example', 'invite'),
        ...crowd,
      ],
      '@joiner:c.example',
    );
    expect(keys(kept)).toContain('m.room.member|@joiner:c.example');
    expect(keys(kept).filter((k) => k.startsWith('m.room.member'))).toEqual(['m.room.member|@joiner:c.example']);
  });

  it('keeps the heroes of a room with neither name nor canonical alias', () => {
    const kept = partialJoinState([...base, ...crowd], '@joiner:c.example');
    expect(keys(kept).filter((k) => k.startsWith('m.room.member'))).toEqual([
      'm.room.member|@creator:a.example',
      ...crowd.slice(0, 4).map((e) => `m.room.member|${e.pdu.state_key}`),
    ]);
  });

  it('counts an empty name as no name', () => {
    const kept = partialJoinState([...base, state('m.room.name', '', { name: '' }), ...crowd], '@joiner:c.example');
    expect(keys(kept).filter((k) => k.startsWith('m.room.member'))).toHaveLength(5);
  });
});

describe('heroesOf', () => {
  it('names the first five joined or invited members in stream order, never the user asking', () => {
    const events = [
      member('@me:a.example', 'join'),
      member('@x:a.example', 'leave'),
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((l) => member(`@${l}:a.example`, l === 'b' ? 'invite' : 'join')),
    ];
    expect(heroesOf(events, '@me:a.example')).toEqual([
      '@a:a.example',
      '@b:a.example',
      '@c:a.example',
      '@d:a.example',
      '@e:a.example',
    ]);
  });

  it('falls back to members who left or were banned when nobody else is joined or invited', () => {
    expect(
      heroesOf(
        [member('@me:a.example', 'join'), member('@gone:a.example', 'leave'), member('@out:a.example', 'ban')],
        '@me:a.example',
      ),
    ).toEqual(['@gone:a.example', '@out:a.example']);
  });
});

describe('partialStateOf (reading a send_join answer)', () => {
  it('takes an answer without members_omitted as the full state', () => {
    expect(partialStateOf({ members_omitted: false, servers_in_room: ['a.example'] })).toEqual({ partial: false });
    expect(partialStateOf({})).toEqual({ partial: false });
  });

  it('takes members_omitted with servers_in_room as partial, each server once', () => {
    expect(
      partialStateOf({ members_omitted: true, servers_in_room: ['a.example', 'b.example:8448', 'a.example'] }),
    ).toEqual({ partial: true, servers: ['a.example', 'b.example:8448'] });
  });

  it.each([[undefined], [[]], [['not a server name!']], [[42]]])(
    'refuses members_omitted with servers_in_room %j',
    (servers) => {
      expect(partialStateOf({ members_omitted: true, servers_in_room: servers })).toHaveProperty('problem');
    },
  );
});
