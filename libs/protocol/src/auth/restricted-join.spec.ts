import { restrictedJoinAllowedRooms, restrictedJoinAuthorisers } from './restricted-join';
import { ALICE, BOB, CAROL, RoomFixture } from './spec/room-fixture';

const allow = [
  { type: 'm.room_membership', room_id: '!space:a.example' },
  { type: 'm.other', room_id: '!x:a.example' },
];
const lookup = (room: RoomFixture) => (type: string, key: string) => room.get(type, key);

describe('restricted joins', () => {
  it('take their allowed rooms from a restricted join rule, m.room_membership entries only', () => {
    const room = new RoomFixture('10')
      .withDefaults()
      .set(new RoomFixture('10').event(ALICE, 'm.room.join_rules', '', { join_rule: 'restricted', allow }));
    expect(restrictedJoinAllowedRooms(room.version, lookup(room))).toEqual(['!space:a.example']);
  });

  it('do not exist before room version 8, nor for knock_restricted before 10, nor for public rooms', () => {
    const v7 = new RoomFixture('7')
      .withDefaults()
      .set(new RoomFixture('7').event(ALICE, 'm.room.join_rules', '', { join_rule: 'restricted', allow }));
    const v9 = new RoomFixture('9')
      .withDefaults()
      .set(new RoomFixture('9').event(ALICE, 'm.room.join_rules', '', { join_rule: 'knock_restricted', allow }));
    expect(restrictedJoinAllowedRooms(v7.version, lookup(v7))).toBeUndefined();
    expect(restrictedJoinAllowedRooms(v9.version, lookup(v9))).toBeUndefined();
    const open = new RoomFixture('10').withDefaults();
    expect(restrictedJoinAllowedRooms(open.version, lookup(open))).toBeUndefined();
  });

  it('are vouched for by joined members who may invite, the most powerful first', () => {
    const room = new RoomFixture('10')
      .withDefaults('restricted', { users: { [ALICE]: 100, [CAROL]: 50 }, invite: 50 })
      .joined(BOB, CAROL);
    const members = [
      room.get('m.room.member', BOB)!,
      room.get('m.room.member', CAROL)!,
      room.get('m.room.member', ALICE)!,
    ];
    expect(restrictedJoinAuthorisers(room.version, lookup(room), members)).toEqual([ALICE, CAROL]);
  });
});
