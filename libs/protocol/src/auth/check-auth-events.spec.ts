import { selectAuthEvents } from './auth-events-selection';
import { checkAuthEventsShape } from './check-auth-events';
import { ALICE, BOB, RoomFixture } from './spec/room-fixture';

const held = (pdus: ReturnType<RoomFixture['event']>[], rejected = false) => pdus.map((pdu) => ({ pdu, rejected }));

describe('auth events selection and rule 3', () => {
  it('selects create, power levels, sender and target membership and join rules for a join (v11)', () => {
    const room = new RoomFixture('11').withDefaults();
    const join = room.member(BOB, 'join');
    const selected = selectAuthEvents(room.version, join, (t, k) => room.get(t, k)).map((e) => e.type);
    expect(selected).toEqual(['m.room.create', 'm.room.power_levels', 'm.room.join_rules']);
  });

  it('never selects the create event in v12', () => {
    const room = new RoomFixture('12').withDefaults();
    const selected = selectAuthEvents(room.version, room.event(ALICE, 'm.room.message', undefined, {}), (t, k) =>
      room.get(t, k),
    );
    expect(selected.map((e) => e.type)).toEqual(['m.room.power_levels', 'm.room.member']);
  });

  it('selects the authorising member of a restricted join (v8+)', () => {
    const room = new RoomFixture('9').withDefaults('restricted');
    const join = room.member(BOB, 'join', BOB, { join_authorised_via_users_server: ALICE });
    const keys = selectAuthEvents(room.version, join, (t, k) => room.get(t, k)).map((e) => `${e.type}|${e.state_key}`);
    expect(keys).toContain(`m.room.member|${ALICE}`);
  });

  it('accepts the selected auth events', () => {
    const room = new RoomFixture('11').withDefaults();
    const message = room.event(ALICE, 'm.room.message', undefined, {});
    const auth = selectAuthEvents(room.version, message, (t, k) => room.get(t, k));
    expect(checkAuthEventsShape(room.version, message, held(auth))).toEqual({ allowed: true });
  });

  it('rejects duplicates (3.1), unexpected entries (3.2), rejected entries (3.3) and other rooms (3.5)', () => {
    const room = new RoomFixture('11').withDefaults();
    const message = room.event(ALICE, 'm.room.message', undefined, {});
    const create = room.get('m.room.create', '')!;
    const rules = room.get('m.room.join_rules', '')!;
    expect(checkAuthEventsShape(room.version, message, held([create, create]))).toMatchObject({
      rule: '3.1 auth_events',
    });
    expect(checkAuthEventsShape(room.version, message, held([create, rules]))).toMatchObject({
      rule: '3.2 auth_events',
    });
    expect(checkAuthEventsShape(room.version, message, held([create], true))).toMatchObject({
      rule: '3.3 auth_events',
    });
    expect(
      checkAuthEventsShape(room.version, message, held([{ ...create, room_id: '!other:a.example' }])),
    ).toMatchObject({ rule: '3.5 auth_events' });
  });

  it('requires the create event before v12 (2.4) and forbids it in v12 (3.2)', () => {
    const v11 = new RoomFixture('11').withDefaults();
    expect(checkAuthEventsShape(v11.version, v11.event(ALICE, 'm.room.message', undefined, {}), [])).toMatchObject({
      rule: '2.4 auth_events',
    });
    const v12 = new RoomFixture('12').withDefaults();
    const create = v12.get('m.room.create', '')!;
    expect(
      checkAuthEventsShape(v12.version, v12.event(ALICE, 'm.room.message', undefined, {}), held([create])),
    ).toMatchObject({ rule: '3.2 auth_events' });
  });
});
