import { conditionHolds, type EvaluationContext } from './conditions';

const context: EvaluationContext = {
  userId: '@alice:example.org',
  displayName: 'Alice Liddell',
  memberCount: 10,
  senderPowerLevel: 50,
  notificationPowerLevels: { room: 100 },
};
const event = {
  type: 'm.room.message',
  content: {
    body: 'An example event for Alice Liddell.',
    topic: 'Lunch plans',
    'm.federate': true,
    count: 3,
    alt_aliases: ['#somewhere:example.org', '#myroom:example.com'],
    'm\\foo': 'x',
  },
};
const holds = (condition: Record<string, unknown>, ctx = context) => conditionHolds(condition as never, event, ctx);

describe('push rule conditions (client-server-api "Conditions")', () => {
  describe('event_match', () => {
    it('matches the whole value, case-insensitively, with * and ?', () => {
      expect(holds({ kind: 'event_match', key: 'content.topic', pattern: 'lunc?*' })).toBe(true);
      expect(holds({ kind: 'event_match', key: 'content.topic', pattern: 'lunc' })).toBe(false);
    });
    it('matches content.body on any run between word boundaries', () => {
      expect(holds({ kind: 'event_match', key: 'content.body', pattern: 'ex*ple' })).toBe(true);
      expect(holds({ kind: 'event_match', key: 'content.body', pattern: 'xampl' })).toBe(false);
    });
    it('never matches a missing or non-string property, even with *', () => {
      expect(holds({ kind: 'event_match', key: 'content.missing', pattern: '*' })).toBe(false);
      expect(holds({ kind: 'event_match', key: 'content.count', pattern: '*' })).toBe(false);
    });
  });

  describe('event_property_is', () => {
    it('matches an exact scalar of the same type, with escaped dots in the key', () => {
      expect(holds({ kind: 'event_property_is', key: 'content.m\\.federate', value: true })).toBe(true);
      expect(holds({ kind: 'event_property_is', key: 'content.m\\.federate', value: 'true' })).toBe(false);
      expect(holds({ kind: 'event_property_is', key: 'content.m\\\\foo', value: 'x' })).toBe(true);
    });
  });

  describe('event_property_contains', () => {
    it('matches an array holding exactly the value', () => {
      expect(holds({ kind: 'event_property_contains', key: 'content.alt_aliases', value: '#myroom:example.com' })).toBe(
        true,
      );
      expect(holds({ kind: 'event_property_contains', key: 'content.alt_aliases', value: ':example.com' })).toBe(false);
      expect(holds({ kind: 'event_property_contains', key: 'content.topic', value: 'Lunch plans' })).toBe(false);
    });
  });

  describe('contains_display_name', () => {
    it("matches the owner's display name as a whole word of the body", () => {
      expect(holds({ kind: 'contains_display_name' })).toBe(true);
      expect(holds({ kind: 'contains_display_name' }, { ...context, displayName: 'Lid' })).toBe(false);
      expect(holds({ kind: 'contains_display_name' }, { ...context, displayName: undefined })).toBe(false);
    });
  });

  describe('room_member_count', () => {
    it('compares with ==, <, >, <=, >= and defaults to ==', () => {
      expect(holds({ kind: 'room_member_count', is: '10' })).toBe(true);
      expect(holds({ kind: 'room_member_count', is: '==9' })).toBe(false);
      expect(holds({ kind: 'room_member_count', is: '<11' })).toBe(true);
      expect(holds({ kind: 'room_member_count', is: '>10' })).toBe(false);
      expect(holds({ kind: 'room_member_count', is: '<=10' })).toBe(true);
      expect(holds({ kind: 'room_member_count', is: '>=11' })).toBe(false);
      expect(holds({ kind: 'room_member_count', is: 'ten' })).toBe(false);
    });
  });

  describe('sender_notification_permission', () => {
    it("compares the sender's level with notifications[key], 50 when unset", () => {
      expect(holds({ kind: 'sender_notification_permission', key: 'room' })).toBe(false);
      expect(
        holds({ kind: 'sender_notification_permission', key: 'room' }, { ...context, notificationPowerLevels: {} }),
      ).toBe(true);
    });
  });

  it('an unrecognised condition never matches', () => {
    expect(holds({ kind: 'org.example.unknown', key: 'type', pattern: '*' })).toBe(false);
  });
});
