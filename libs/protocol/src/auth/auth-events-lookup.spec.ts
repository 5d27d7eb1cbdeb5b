import type { Pdu } from '../events';
import { authEventsLookup } from './auth-events-lookup';
import { checkEventAuth } from './check-event-auth';
import { BOB, RoomFixture } from './spec/room-fixture';

/** A fixture room (v10, event IDs by hash) whose stored events are found by made-up IDs. */
function room() {
  const fixture = new RoomFixture('10').withDefaults();
  const stored = new Map<string, Pdu>([
    ['$create', fixture.get('m.room.create', '')!],
    ['$levels', fixture.get('m.room.power_levels', '')!],
    ['$bob', fixture.member(BOB, 'join')],
  ]);
  return { fixture, find: (id: string) => stored.get(id) };
}

describe("authEventsLookup (authorising against an event's own auth events)", () => {
  it('answers with the auth events the event names, by type and state key', () => {
    const { fixture, find } = room();
    const message = {
      ...fixture.event(BOB, 'm.room.message', undefined, { body: 'hi' }),
      auth_events: ['$create', '$levels', '$bob'],
    };
    const lookup = authEventsLookup(message, find);
    expect(lookup('m.room.member', BOB)).toBe(find('$bob'));
    expect(checkEventAuth(fixture.version, message, lookup)).toEqual({ allowed: true });
  });

  it('knows nothing the event does not name, whatever else is stored', () => {
    const { fixture, find } = room();
    const message = {
      ...fixture.event(BOB, 'm.room.message', undefined, { body: 'hi' }),
      auth_events: ['$create', '$levels'],
    };
    expect(authEventsLookup(message, find)('m.room.member', BOB)).toBeUndefined();
    expect(checkEventAuth(fixture.version, message, authEventsLookup(message, find))).toMatchObject({ allowed: false });
  });

  it('skips auth events that cannot be found, and takes the create event given (v12 does not name it)', () => {
    const { fixture, find } = room();
    const message = { ...fixture.event(BOB, 'm.room.message', undefined, { body: 'hi' }), auth_events: ['$unknown'] };
    const lookup = authEventsLookup(message, find, find('$create'));
    expect(lookup('m.room.create', '')).toBe(find('$create'));
    expect(lookup('m.room.power_levels', '')).toBeUndefined();
  });
});
