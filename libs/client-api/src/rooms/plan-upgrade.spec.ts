import { findRoomVersion, type Pdu } from '@lattice/protocol';
import { mayUpgrade, planUpgrade } from './plan-upgrade';

const v10 = findRoomVersion('10')!;
const v12 = findRoomVersion('12')!;
const state = (type: string, stateKey: string, content: Record<string, unknown>, sender = '@alice:a'): Pdu =>
  ({ type, state_key: stateKey, content, sender }) as unknown as Pdu;

const oldState = [
  state('m.room.create', '', { creator: '@alice:a', room_version: '10', type: 'm.space' }),
  state('m.room.member', '@alice:a', { membership: 'join' }),
  state('m.room.member', '@bob:b', { membership: 'join' }),
  state('m.room.member', '@mallory:m', { membership: 'ban', reason: 'spam' }),
  state('m.room.power_levels', '', {
    users: { '@alice:a': 100, '@bob:b': 50 },
    users_default: 0,
    events: { 'm.room.tombstone': 100, 'm.room.power_levels': 150 },
  }),
  state('m.room.join_rules', '', { join_rule: 'public' }),
  state('m.room.name', '', { name: 'Old' }),
  state('m.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' }),
  state('org.example.custom', '', { mine: true }),
];

describe('upgrading a room', () => {
  it('is allowed to a joined member at the tombstone level, and to no one below it', () => {
    expect(mayUpgrade(v10, '@alice:a', oldState)).toBe(true);
    expect(mayUpgrade(v10, '@bob:b', oldState)).toBe(false);
    expect(mayUpgrade(v10, '@carol:c', oldState)).toBe(false);
  });

  it('makes the new room with the predecessor, the type, the transferable state and the bans', () => {
    const { createRoom } = planUpgrade({
      oldRoomId: '!old:a',
      oldVersion: v10,
      newVersion: v10,
      upgrader: '@alice:a',
      state: oldState,
      lastEventId: '$last',
    });
    expect(createRoom.creation_content).toEqual({
      predecessor: { room_id: '!old:a', event_id: '$last' },
      type: 'm.space',
    });
    expect(createRoom.preset).toBe('public_chat');
    expect((createRoom.initial_state as Array<{ type: string }>).map((e) => e.type)).toEqual([
      'm.room.join_rules',
      'm.room.name',
      'm.room.encryption',
      'm.room.member',
    ]);
    expect((createRoom.initial_state as unknown[])[3]).toEqual({
      type: 'm.room.member',
      state_key: '@mallory:m',
      content: { membership: 'ban', reason: 'spam' },
    });
  });

  it('leaves the deprecated predecessor.event_id out of a v12 room, whose ID names its create event (MSC4291)', () => {
    const { createRoom } = planUpgrade({
      oldRoomId: '!old:a',
      oldVersion: v10,
      newVersion: v12,
      upgrader: '@alice:a',
      state: oldState,
      lastEventId: '$last',
    });
    expect((createRoom.creation_content as { predecessor: unknown }).predecessor).toEqual({ room_id: '!old:a' });
  });

  it('raises the upgrader until the state is written, then gives the old levels back', () => {
    const plan = planUpgrade({
      oldRoomId: '!old:a',
      oldVersion: v10,
      newVersion: v10,
      upgrader: '@alice:a',
      state: oldState,
    });
    expect((plan.createRoom.power_level_content_override as { users: Record<string, number> }).users['@alice:a']).toBe(
      150,
    );
    expect(plan.finalPowerLevels?.users).toEqual({ '@alice:a': 100, '@bob:b': 50 });
  });

  it('leaves the creators of a v12 room out of users, as that version requires', () => {
    const plan = planUpgrade({
      oldRoomId: '!old:a',
      oldVersion: v10,
      newVersion: v12,
      upgrader: '@alice:a',
      state: oldState,
      additionalCreators: ['@bob:b'],
    });
    expect((plan.createRoom.power_level_content_override as { users: Record<string, number> }).users).toEqual({});
    expect((plan.createRoom.creation_content as { additional_creators: string[] }).additional_creators).toEqual([
      '@bob:b',
    ]);
    expect(plan.finalPowerLevels).toBeUndefined();
  });

  it('restricts speaking and inviting in the old room to the greater of 50 and users_default + 1', () => {
    const { restrictedOldPowerLevels } = planUpgrade({
      oldRoomId: '!old:a',
      oldVersion: v10,
      newVersion: v10,
      upgrader: '@alice:a',
      state: oldState,
    });
    expect(restrictedOldPowerLevels).toMatchObject({
      events_default: 50,
      invite: 50,
      users: { '@alice:a': 100, '@bob:b': 50 },
    });
  });
});
