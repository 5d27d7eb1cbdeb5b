import { referencedIds, type HeldAuthEvent } from '@lattice/protocol';
import { ALICE, BASE, BOB, CHARLIE, DagBuilder, setOf } from '../spec/dag-events';
import { checkAgainstAuthEvents, checkReceivedEvent } from './receipt-checks';

/** Alice bans Bob ('ban'); Bob's events are made on the state before the ban. */
function roomWithBan() {
  return new DagBuilder('10')
    .start()
    .add('ban', ALICE, 'm.room.member', BOB, { membership: 'ban' }, { prev: ['imb'], on: BASE })
    .add('msg', BOB, 'm.room.message', undefined, { body: 'hi' }, { prev: ['imb'], on: BASE });
}

/** The auth events an event names, as held here (none rejected). */
function authEventsOf(dag: DagBuilder, name: string): HeldAuthEvent[] {
  const byId = new Map(BASE.map((n) => [dag.id(n), dag.pdu(n)]));
  return referencedIds(dag.pdu(name).auth_events).map((id) => ({ pdu: byId.get(id)!, rejected: false }));
}

describe('checkReceivedEvent', () => {
  it('accepts an event that passes against its auth events, the state before it and the current state', () => {
    const dag = roomWithBan();
    const state = setOf(dag, BASE);
    expect(checkReceivedEvent(dag.version, dag.pdu('msg'), authEventsOf(dag, 'msg'), state, state)).toEqual({
      status: 'accepted',
    });
  });

  it('soft-fails an event the current state no longer allows (its sender was banned on another branch)', () => {
    const dag = roomWithBan();
    const receipt = checkReceivedEvent(
      dag.version,
      dag.pdu('msg'),
      authEventsOf(dag, 'msg'),
      setOf(dag, BASE),
      setOf(dag, [...BASE, 'ban']),
    );
    expect(receipt.status).toBe('softFailed');
  });

  it('rejects an event the state before it does not allow', () => {
    const dag = roomWithBan();
    const after = setOf(dag, [...BASE, 'ban']);
    expect(checkReceivedEvent(dag.version, dag.pdu('msg'), authEventsOf(dag, 'msg'), after, after)).toMatchObject({
      status: 'rejected',
      reason: /state before/,
    });
  });

  it('rejects an event whose auth events include a rejected one, whatever the state', () => {
    const dag = roomWithBan();
    const state = setOf(dag, BASE);
    const held = authEventsOf(dag, 'msg').map((a) => ({ ...a, rejected: a.pdu.type === 'm.room.member' }));
    expect(checkReceivedEvent(dag.version, dag.pdu('msg'), held, state, state)).toMatchObject({
      status: 'rejected',
      reason: /auth events/,
    });
  });

  it('rejects an event its own auth events do not allow', () => {
    const dag = new DagBuilder('10')
      .start()
      .add('topic', CHARLIE, 'm.room.topic', '', { topic: 'not a member' }, { prev: ['imb'], on: BASE });
    expect(
      checkAgainstAuthEvents(dag.version, dag.pdu('topic'), authEventsOf(dag, 'topic'), dag.pdu('create')),
    ).toMatch(/auth events/);
  });
});
