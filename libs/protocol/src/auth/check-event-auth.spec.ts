import { ALICE, BOB, CAROL, MALLORY, RoomFixture } from './spec/room-fixture';

const ALL = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
const allowed = { allowed: true };
const rejectedBy = (rule: string) => expect.objectContaining({ allowed: false, rule: expect.stringContaining(rule) });

describe('rule 1: m.room.create', () => {
  it.each(ALL)('v%s: allows a create without prev_events', (v) => {
    const room = new RoomFixture(v);
    expect(room.check(room.get('m.room.create', '')!)).toEqual(allowed);
  });

  it.each(ALL)('v%s: rejects a create with prev_events (1.1)', (v) => {
    const room = new RoomFixture(v);
    expect(
      room.check({
        ...room.get('m.room.create', '')!,
        prev_events: room.get('m.room.create', '')!.prev_events.concat(['$x' as never]),
      }),
    ).toEqual(rejectedBy('1.1'));
  });

  it('before v12 rejects a room ID on another domain than the sender (1.2)', () => {
    const room = new RoomFixture('11');
    expect(room.check({ ...room.get('m.room.create', '')!, room_id: '!room:other.example' })).toEqual(
      rejectedBy('1.2'),
    );
  });

  it('v12 rejects a create event with a room_id (1.2)', () => {
    const room = new RoomFixture('12');
    expect(room.check({ ...room.get('m.room.create', '')!, room_id: room.roomId })).toEqual(rejectedBy('1.2'));
  });

  it.each(ALL)('v%s: rejects an unknown content.room_version (1.3)', (v) => {
    const room = new RoomFixture(v);
    const create = room.get('m.room.create', '')!;
    expect(room.check({ ...create, content: { ...create.content, room_version: '99' } })).toEqual(rejectedBy('1.3'));
  });

  it.each(['1', '10'])('v%s: requires content.creator (1.4)', (v) => {
    const room = new RoomFixture(v);
    const create = room.get('m.room.create', '')!;
    expect(room.check({ ...create, content: { room_version: v } })).toEqual(rejectedBy('1.4'));
  });

  it('v11 does not require content.creator', () => {
    const room = new RoomFixture('11');
    expect(room.check(room.get('m.room.create', '')!)).toEqual(allowed);
  });

  it('v12 validates additional_creators (1.4)', () => {
    const room = new RoomFixture('12');
    const create = room.get('m.room.create', '')!;
    const { room_id: _omitted, ...bare } = create;
    expect(
      room.check({ ...bare, content: { ...create.content, additional_creators: ['not a user'] } } as never),
    ).toEqual(rejectedBy('1.4'));
    expect(room.check({ ...bare, content: { ...create.content, additional_creators: [BOB] } } as never)).toEqual(
      allowed,
    );
  });
});

describe('rule 2 (v12): the room ID is the create event', () => {
  it('rejects an event whose room_id is not the create event hash', () => {
    const room = new RoomFixture('12').withDefaults();
    expect(
      room.check({ ...room.event(ALICE, 'm.room.message', undefined, {}), room_id: `!${'B'.repeat(43)}` }),
    ).toEqual(rejectedBy('2 room_id'));
  });
});

describe('rule 4: m.federate', () => {
  it.each(ALL)('v%s: rejects a sender from another server when m.federate is false', (v) => {
    const room = new RoomFixture(v, { 'm.federate': false }).withDefaults();
    expect(room.check(room.member(BOB, 'join'))).toEqual(rejectedBy('m.federate'));
    expect(room.check(room.member(CAROL, 'join'))).toEqual(allowed);
  });
});

describe('v1-v5 m.room.aliases', () => {
  it.each(['1', '5'])('v%s: allows a server to set its own aliases, even without joining', (v) => {
    const room = new RoomFixture(v).withDefaults();
    expect(room.check(room.event(BOB, 'm.room.aliases', 'b.example', { aliases: [] }))).toEqual(allowed);
    expect(room.check(room.event(BOB, 'm.room.aliases', 'a.example', { aliases: [] }))).toEqual(rejectedBy('4.2'));
  });

  it('v6 treats aliases as an ordinary state event', () => {
    const room = new RoomFixture('6').withDefaults();
    expect(room.check(room.event(BOB, 'm.room.aliases', 'b.example', { aliases: [] }))).toEqual(
      rejectedBy('6 sender joined'),
    );
  });
});

describe('rule 5.3: join', () => {
  it.each(ALL)('v%s: lets the creator join right after the create event', (v) => {
    const room = new RoomFixture(v);
    const join = room.member(ALICE, 'join');
    const ref = room.version.eventIdFormat === 'origin' ? [[room.createId, { sha256: 'x' }]] : [room.createId];
    expect(room.check({ ...join, prev_events: ref as never })).toEqual(allowed);
    expect(room.check(join)).toEqual(rejectedBy('5.3.7'));
  });

  it.each(ALL)('v%s: only lets users join themselves (5.3.2)', (v) => {
    const room = new RoomFixture(v).withDefaults();
    expect(room.check(room.member(BOB, 'join', ALICE))).toEqual(rejectedBy('5.3.2'));
  });

  it.each(ALL)('v%s: refuses banned users (5.3.3)', (v) => {
    const room = new RoomFixture(v).withDefaults().set(new RoomFixture(v).member(BOB, 'ban', ALICE));
    expect(room.check(room.member(BOB, 'join'))).toEqual(rejectedBy('5.3.3'));
  });

  it.each(ALL)('v%s: invite-only rooms admit invited users only (5.3.4)', (v) => {
    const room = new RoomFixture(v).withDefaults('invite');
    expect(room.check(room.member(BOB, 'join'))).toEqual(rejectedBy('5.3.4'));
    room.set(room.member(BOB, 'invite', ALICE));
    expect(room.check(room.member(BOB, 'join'))).toEqual(allowed);
  });

  it.each(ALL)('v%s: public rooms admit anyone (5.3.6)', (v) => {
    const room = new RoomFixture(v).withDefaults('public');
    expect(room.check(room.member(BOB, 'join'))).toEqual(allowed);
  });

  it('treats the knock join rule as invite-only from v7, and as unknown before', () => {
    const v7 = new RoomFixture('7').withDefaults('knock').set(new RoomFixture('7').member(BOB, 'invite', ALICE));
    expect(v7.check(v7.member(BOB, 'join'))).toEqual(allowed);
    const v6 = new RoomFixture('6').withDefaults('knock').set(new RoomFixture('6').member(BOB, 'invite', ALICE));
    expect(v6.check(v6.member(BOB, 'join'))).toEqual(rejectedBy('5.3.7'));
  });

  it.each(['8', '9', '10', '11', '12'])(
    'v%s: restricted joins need a joined authoriser who may invite (5.3.5)',
    (v) => {
      const room = new RoomFixture(v).withDefaults('restricted', { invite: 50 }).joined(CAROL);
      expect(room.check(room.member(BOB, 'join'))).toEqual(rejectedBy('5.3.5.2'));
      expect(room.check(room.member(BOB, 'join', BOB, { join_authorised_via_users_server: CAROL }))).toEqual(
        rejectedBy('5.3.5.2'),
      );
      expect(room.check(room.member(BOB, 'join', BOB, { join_authorised_via_users_server: ALICE }))).toEqual(allowed);
    },
  );

  it('does not know the restricted rule before v8', () => {
    const room = new RoomFixture('7').withDefaults('restricted');
    expect(room.check(room.member(BOB, 'join', BOB, { join_authorised_via_users_server: ALICE }))).toEqual(
      rejectedBy('5.3.7'),
    );
  });

  it('knows knock_restricted from v10', () => {
    const v10 = new RoomFixture('10').withDefaults('knock_restricted');
    expect(v10.check(v10.member(BOB, 'join', BOB, { join_authorised_via_users_server: ALICE }))).toEqual(allowed);
    const v9 = new RoomFixture('9').withDefaults('knock_restricted');
    expect(v9.check(v9.member(BOB, 'join', BOB, { join_authorised_via_users_server: ALICE }))).toEqual(
      rejectedBy('5.3.7'),
    );
  });
});

describe('rule 5.4: invite', () => {
  it.each(ALL)('v%s: members at the invite level may invite', (v) => {
    const room = new RoomFixture(v).withDefaults('invite');
    expect(room.check(room.member(BOB, 'invite', ALICE))).toEqual(allowed);
  });

  it.each(ALL)('v%s: non-members may not invite (5.4.2)', (v) => {
    const room = new RoomFixture(v).withDefaults('invite');
    expect(room.check(room.member(BOB, 'invite', MALLORY))).toEqual(rejectedBy('5.4.2'));
  });

  it.each(ALL)('v%s: joined or banned users cannot be invited (5.4.3)', (v) => {
    const room = new RoomFixture(v).withDefaults('invite').joined(BOB);
    expect(room.check(room.member(BOB, 'invite', ALICE))).toEqual(rejectedBy('5.4.3'));
  });

  it.each(ALL)('v%s: the invite level applies (5.4.5)', (v) => {
    const room = new RoomFixture(v).withDefaults('public', { invite: 50 }).joined(CAROL);
    expect(room.check(room.member(BOB, 'invite', CAROL))).toEqual(rejectedBy('5.4.5'));
  });
});

describe('rule 5.5: leave, kick, unban', () => {
  it.each(ALL)('v%s: users may leave and reject invites (5.5.1)', (v) => {
    const room = new RoomFixture(v).withDefaults().joined(BOB);
    expect(room.check(room.member(BOB, 'leave'))).toEqual(allowed);
    expect(room.check(room.member(MALLORY, 'leave'))).toEqual(rejectedBy('5.5.1'));
  });

  it('lets a knocking user withdraw from v7', () => {
    const room = new RoomFixture('7').withDefaults('knock');
    room.set(room.member(BOB, 'knock'));
    expect(room.check(room.member(BOB, 'leave'))).toEqual(allowed);
  });

  it.each(ALL)('v%s: kicking needs the kick level and more power than the target (5.5.4)', (v) => {
    const room = new RoomFixture(v).withDefaults().joined(BOB, CAROL);
    expect(room.check(room.member(BOB, 'leave', ALICE))).toEqual(allowed);
    expect(room.check(room.member(CAROL, 'leave', BOB))).toEqual(rejectedBy('5.5.5'));
  });

  it.each(ALL)('v%s: unbanning needs the ban level (5.5.3)', (v) => {
    const room = new RoomFixture(v).withDefaults('public', { ban: 100, kick: 0 }).joined(CAROL);
    room.set(room.member(BOB, 'ban', ALICE));
    expect(room.check(room.member(BOB, 'leave', CAROL))).toEqual(rejectedBy('5.5.3'));
  });

  it.each(ALL)('v%s: non-members cannot kick (5.5.2)', (v) => {
    const room = new RoomFixture(v).withDefaults().joined(BOB);
    expect(room.check(room.member(BOB, 'leave', MALLORY))).toEqual(rejectedBy('5.5.2'));
  });
});

describe('rule 5.6: ban', () => {
  it.each(ALL)('v%s: banning needs the ban level and more power than the target', (v) => {
    const room = new RoomFixture(v).withDefaults().joined(BOB);
    expect(room.check(room.member(BOB, 'ban', ALICE))).toEqual(allowed);
    expect(room.check(room.member(ALICE, 'ban', BOB))).toEqual(rejectedBy('5.6.3'));
    expect(room.check(room.member(BOB, 'ban', MALLORY))).toEqual(rejectedBy('5.6.1'));
  });

  it('v12: creators cannot be banned, even by other creators', () => {
    const room = new RoomFixture('12', { additional_creators: [BOB] }).withDefaults().joined(BOB);
    expect(room.check(room.member(ALICE, 'ban', BOB))).toEqual(rejectedBy('5.6.3'));
  });
});

describe('rule 5.7: knock', () => {
  it.each(['7', '10', '12'])('v%s: allows knocking on a knock room', (v) => {
    const room = new RoomFixture(v).withDefaults('knock');
    expect(room.check(room.member(BOB, 'knock'))).toEqual(allowed);
    expect(room.check(room.member(BOB, 'knock', ALICE))).toEqual(rejectedBy('5.7.2'));
  });

  it('rejects knocks on rooms without a knock rule, and already invited users', () => {
    const room = new RoomFixture('10').withDefaults('public');
    expect(room.check(room.member(BOB, 'knock'))).toEqual(rejectedBy('5.7.1'));
    const knock = new RoomFixture('10').withDefaults('knock');
    knock.set(knock.member(BOB, 'invite', ALICE));
    expect(knock.check(knock.member(BOB, 'knock'))).toEqual(rejectedBy('5.7.4'));
  });

  it('allows knock_restricted from v10 only, and knocking from v7 only', () => {
    const v10 = new RoomFixture('10').withDefaults('knock_restricted');
    expect(v10.check(v10.member(BOB, 'knock'))).toEqual(allowed);
    const v6 = new RoomFixture('6').withDefaults('knock');
    expect(v6.check(v6.member(BOB, 'knock'))).toEqual(rejectedBy('5.8'));
  });

  it.each(ALL)('v%s: rejects unknown memberships (5.8)', (v) => {
    const room = new RoomFixture(v).withDefaults();
    expect(room.check(room.member(BOB, 'wander'))).toEqual(rejectedBy('5.8'));
  });
});

describe('rules 6-9: ordinary events', () => {
  it.each(ALL)('v%s: the sender must be joined (6)', (v) => {
    const room = new RoomFixture(v).withDefaults();
    expect(room.check(room.event(BOB, 'm.room.message', undefined, {}))).toEqual(rejectedBy('6'));
  });

  it.each(ALL)('v%s: third-party invites need the invite level (7)', (v) => {
    const room = new RoomFixture(v).withDefaults('public', { invite: 50 }).joined(BOB);
    expect(room.check(room.event(BOB, 'm.room.third_party_invite', 'tok', {}))).toEqual(rejectedBy('7'));
    expect(room.check(room.event(ALICE, 'm.room.third_party_invite', 'tok', {}))).toEqual(allowed);
  });

  it.each(ALL)('v%s: the required power level applies (8)', (v) => {
    const room = new RoomFixture(v).withDefaults().joined(BOB);
    expect(room.check(room.event(BOB, 'm.room.name', '', { name: 'x' }))).toEqual(rejectedBy('8'));
    expect(room.check(room.event(BOB, 'm.room.message', undefined, {}))).toEqual(allowed);
  });

  it.each(ALL)('v%s: state keys naming another user are reserved (9)', (v) => {
    const room = new RoomFixture(v).withDefaults().joined(BOB);
    expect(room.check(room.event(ALICE, 'com.example.state', BOB, {}))).toEqual(rejectedBy('9'));
    expect(room.check(room.event(ALICE, 'com.example.state', ALICE, {}))).toEqual(allowed);
  });
});

describe('rule 10: power levels', () => {
  const levels = (room: RoomFixture, sender: string, content: object) =>
    room.event(sender, 'm.room.power_levels', '', content as never);

  it.each(['1', '9'])('v%s: accepts string power levels', (v) => {
    const room = new RoomFixture(v).withDefaults();
    expect(room.check(levels(room, ALICE, { users: { [ALICE]: '100' }, ban: '50' }))).toEqual(allowed);
  });

  it.each(['10', '11', '12'])('v%s: requires integers (10.1, 10.2)', (v) => {
    const room = new RoomFixture(v).withDefaults();
    expect(room.check(levels(room, ALICE, { ban: '50' }))).toEqual(rejectedBy('10.1'));
    expect(room.check(levels(room, ALICE, { events: { 'm.room.name': '50' } }))).toEqual(rejectedBy('10.2'));
  });

  it.each(ALL)('v%s: users must map user IDs to levels (10.3)', (v) => {
    const room = new RoomFixture(v).withDefaults();
    expect(room.check(levels(room, ALICE, { users: { 'not-a-user': 1 } }))).toEqual(rejectedBy('10.3'));
  });

  it('v12: creators cannot be listed in users (10.4), a fault of the event itself rather than of its sender', () => {
    const room = new RoomFixture('12').withDefaults();
    expect(room.check(levels(room, ALICE, { users: { [ALICE]: 100 } }))).toEqual(
      expect.objectContaining({ allowed: false, rule: expect.stringContaining('10.4'), malformed: true }),
    );
  });

  it.each(ALL)('v%s: a user cannot raise a level above their own (10.6, 10.10)', (v) => {
    const room = new RoomFixture(v)
      .withDefaults('public', { users_default: 0, state_default: 0, events: {} })
      .joined(BOB);
    const base = room.get('m.room.power_levels', '')!.content;
    expect(room.check(levels(room, BOB, { ...base, ban: 60 }))).toEqual(rejectedBy('10.6.2'));
    expect(room.check(levels(room, BOB, { ...base, users: { ...(base.users as object), [BOB]: 10 } }))).toEqual(
      rejectedBy('10 power_levels users'),
    );
  });

  it.each(ALL)('v%s: a user cannot demote someone at or above their level (10.9)', (v) => {
    const room = new RoomFixture(v).withDefaults('public', { users: { [BOB]: 50, [CAROL]: 50 } }).joined(BOB, CAROL);
    const base = room.get('m.room.power_levels', '')!.content as { users: Record<string, number> };
    expect(room.check(levels(room, BOB, { ...base, users: { ...base.users, [CAROL]: 0 } }))).toEqual(
      rejectedBy('10 power_levels users'),
    );
    expect(room.check(levels(room, BOB, { ...base, users: { ...base.users, [BOB]: 10 } }))).toEqual(allowed);
  });

  it('checks notifications levels from v6 only (10.7, 10.8)', () => {
    for (const [v, expected] of [
      ['5', allowed],
      ['6', rejectedBy('notifications')],
    ] as const) {
      const room = new RoomFixture(v).withDefaults('public', { users: { [BOB]: 50 }, state_default: 0 }).joined(BOB);
      const base = room.get('m.room.power_levels', '')!.content;
      expect(room.check(levels(room, BOB, { ...base, notifications: { room: 100 } }))).toEqual(expected);
    }
  });

  it.each(ALL)('v%s: the first power levels event is allowed (10.5)', (v) => {
    const room = new RoomFixture(v).joined(ALICE);
    expect(
      room.check(levels(room, ALICE, { users: room.version.privilegedCreators ? {} : { [ALICE]: 100 }, ban: 100 })),
    ).toEqual(allowed);
  });
});

describe('v1/v2 rule 11: redactions', () => {
  it.each(['1', '2'])('v%s: needs the redact level, or the same server as the redacted event', (v) => {
    const room = new RoomFixture(v).withDefaults().joined(BOB);
    expect(
      room.check(
        room.event(BOB, 'm.room.redaction', undefined, {}, { redacts: '$x:a.example', event_id: '$r:b.example' }),
      ),
    ).toEqual(rejectedBy('11'));
    expect(
      room.check(
        room.event(BOB, 'm.room.redaction', undefined, {}, { redacts: '$x:b.example', event_id: '$r:b.example' }),
      ),
    ).toEqual(allowed);
  });

  it('v3+: allows redaction events by the ordinary rules (the redaction itself is checked later)', () => {
    const room = new RoomFixture('3').withDefaults().joined(BOB);
    expect(room.check(room.event(BOB, 'm.room.redaction', undefined, {}, { redacts: '$x' }))).toEqual(allowed);
  });
});

describe('power without a power levels event', () => {
  it.each(['1', '11'])('v%s: the creator has 100 and others 0', (v) => {
    const room = new RoomFixture(v)
      .joined(ALICE, BOB)
      .set(new RoomFixture(v).event(ALICE, 'm.room.join_rules', '', { join_rule: 'public' }));
    expect(room.check(room.event(ALICE, 'm.room.name', '', {}))).toEqual(allowed);
    expect(room.check(room.event(BOB, 'm.room.name', '', {}))).toEqual(rejectedBy('8'));
  });
});
