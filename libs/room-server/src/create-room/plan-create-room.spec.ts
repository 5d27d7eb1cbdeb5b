import { getRoomVersion } from '@lattice/protocol';
import { planCreateRoom } from './plan-create-room';

const alice = '@alice:example.org';
const bob = '@bob:example.org';

describe('planCreateRoom', () => {
  it('orders events as createRoom specifies', () => {
    const plan = planCreateRoom(
      getRoomVersion('11'),
      alice,
      {
        name: 'N',
        topic: 'T',
        invite: [bob],
        initial_state: [{ type: 'm.room.encryption', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
      },
      '#pub:example.org',
    );
    expect(plan.map((e) => `${e.type}|${e.stateKey}`)).toEqual([
      'm.room.create|',
      `m.room.member|${alice}`,
      'm.room.power_levels|',
      'm.room.canonical_alias|',
      'm.room.join_rules|',
      'm.room.history_visibility|',
      'm.room.guest_access|',
      'm.room.encryption|',
      'm.room.name|',
      'm.room.topic|',
      `m.room.member|${bob}`,
    ]);
  });

  it('derives the preset from visibility', () => {
    const plan = planCreateRoom(getRoomVersion('10'), alice, { visibility: 'public' }, undefined);
    expect(plan.find((e) => e.type === 'm.room.join_rules')?.content).toEqual({ join_rule: 'public' });
    expect(plan.find((e) => e.type === 'm.room.guest_access')).toBeUndefined(); // absent means forbidden
  });

  it('names the creator in create content and power levels before v11', () => {
    const plan = planCreateRoom(
      getRoomVersion('10'),
      alice,
      { creation_content: { creator: '@mallory:evil', 'm.federate': false } },
      undefined,
    );
    expect(plan[0].content).toEqual({ creator: alice, room_version: '10', 'm.federate': false });
    expect((plan[2].content.users as Record<string, number>)[alice]).toBe(100);
  });

  it('omits creator from create content in v11', () => {
    expect(planCreateRoom(getRoomVersion('11'), alice, {}, undefined)[0].content).toEqual({ room_version: '11' });
  });

  it('keeps v12 creators out of power levels and raises tombstone above state_default', () => {
    const plan = planCreateRoom(getRoomVersion('12'), alice, {}, undefined);
    const levels = plan[2].content as { users: object; events: Record<string, number>; state_default: number };
    expect(levels.users).toEqual({});
    expect(levels.events['m.room.tombstone']).toBeGreaterThan(levels.state_default);
  });

  it('makes trusted_private_chat invitees additional creators in v12 and admins before', () => {
    const v12 = planCreateRoom(
      getRoomVersion('12'),
      alice,
      { preset: 'trusted_private_chat', invite: [bob] },
      undefined,
    );
    expect(v12[0].content.additional_creators).toEqual([bob]);
    const v11 = planCreateRoom(
      getRoomVersion('11'),
      alice,
      { preset: 'trusted_private_chat', invite: [bob] },
      undefined,
    );
    expect((v11[2].content.users as Record<string, number>)[bob]).toBe(100);
  });

  it('applies power_level_content_override on top of the defaults', () => {
    const plan = planCreateRoom(
      getRoomVersion('12'),
      alice,
      { power_level_content_override: { events_default: 50 } },
      undefined,
    );
    expect(plan[2].content.events_default).toBe(50);
    expect(plan[2].content.state_default).toBe(50);
  });

  it('marks invites of a direct chat', () => {
    const plan = planCreateRoom(getRoomVersion('12'), alice, { invite: [bob], is_direct: true }, undefined);
    expect(plan.at(-1)?.content).toEqual({ membership: 'invite', is_direct: true });
  });
});
