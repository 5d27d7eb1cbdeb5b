import { copyRoomRules, effectiveRules, putRule } from './ruleset-edits';

const me = '@alice:example.org';
const oldRoom = '!old:example.org';
const newRoom = '!new:example.org';

describe("copying a room's push rules to its replacement after an upgrade", () => {
  const roomCondition = (roomId: string) => [{ kind: 'event_match', key: 'room_id', pattern: roomId }];
  let rules = putRule(effectiveRules(undefined, me), 'room', oldRoom, { actions: [] }, {});
  rules = putRule(rules, 'override', `mute ${oldRoom}`, { actions: [], conditions: roomCondition(oldRoom) }, {});
  rules = putRule(
    rules,
    'underride',
    'elsewhere',
    { actions: ['notify'], conditions: roomCondition('!other:example.org') },
    {},
  );

  it('copies the room rule and the rules matching the old room, naming the new room', () => {
    const copied = copyRoomRules(rules, oldRoom, newRoom);
    expect(copied.global.room.map((r) => r.rule_id)).toEqual([oldRoom, newRoom]);
    expect(copied.global.override.find((r) => r.rule_id === `mute ${newRoom}`)).toMatchObject({
      actions: [],
      enabled: true,
      conditions: roomCondition(newRoom),
    });
  });

  it("leaves other rooms' rules alone and does not copy twice", () => {
    const twice = copyRoomRules(copyRoomRules(rules, oldRoom, newRoom), oldRoom, newRoom);
    expect(twice.global.room).toHaveLength(2);
    expect(twice.global.override.filter((r) => r.rule_id.startsWith('mute'))).toHaveLength(2);
    expect(twice.global.underride).toEqual(rules.global.underride);
  });
});
