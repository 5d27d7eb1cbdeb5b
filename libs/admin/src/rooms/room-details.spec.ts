import type { Pdu } from '@lattice/protocol';
import { matchesSearch, roomSummary } from './room-details';

const event = (type: string, stateKey: string, content: Record<string, unknown>, sender = '@ann:one.test'): Pdu =>
  ({ type, state_key: stateKey, content, sender }) as unknown as Pdu;

describe('roomSummary', () => {
  const state = [
    event('m.room.create', '', { room_version: '11' }),
    event('m.room.name', '', { name: 'Ops' }),
    event('m.room.join_rules', '', { join_rule: 'public' }),
    event('m.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' }),
    event('m.room.member', '@ann:one.test', { membership: 'join' }),
    event('m.room.member', '@bob:two.test', { membership: 'join' }, '@bob:two.test'),
    event('m.room.member', '@cat:one.test', { membership: 'leave' }, '@cat:one.test'),
  ];

  it("counts joined members, and as local only those of the admin's tenant", () => {
    expect(roomSummary('!r:one.test', '11', state, 'one.test', false)).toMatchObject({
      joined_members: 2,
      joined_local_members: 1,
    });
  });

  it("takes the creator from the create event's sender from room version 11", () => {
    expect(roomSummary('!r:one.test', '11', state, 'one.test', false).creator).toBe('@ann:one.test');
  });

  it('reads name, join rule, encryption and federation from the state', () => {
    expect(roomSummary('!r:one.test', '11', state, 'one.test', true)).toMatchObject({
      name: 'Ops',
      join_rules: 'public',
      encryption: 'm.megolm.v1.aes-sha2',
      federatable: true,
      public: true,
      state_events: 7,
      canonical_alias: null,
    });
  });

  it('matches a search term in the name, alias or room ID, ignoring case', () => {
    const summary = roomSummary('!r:one.test', '11', state, 'one.test', false);
    expect(matchesSearch(summary, 'OPS')).toBe(true);
    expect(matchesSearch(summary, '!r:one')).toBe(true);
    expect(matchesSearch(summary, 'nothing')).toBe(false);
  });
});
