import fc from 'fast-check';
import { resolveState } from './resolve-state';
import { ALICE, BOB, CHARLIE, DagBuilder } from './spec/dag-builder';

const BASE = ['create', 'ima', 'ipower', 'ijr', 'imb'];

function resolve(dag: DagBuilder, ...sets: string[][]) {
  return dag.names(
    resolveState(
      dag.version,
      sets.map((s) => dag.stateOf(s)),
      dag.source(),
    ),
  );
}

describe.each(['2', '10', '12'])('state resolution v2 scenarios (room v%s)', (v) => {
  it('a ban beats a concurrent join', () => {
    const dag = new DagBuilder(v)
      .start()
      .add('ban', ALICE, 'm.room.member', CHARLIE, { membership: 'ban' }, { prev: ['imb'], on: BASE })
      .add('join', CHARLIE, 'm.room.member', CHARLIE, { membership: 'join' }, { prev: ['imb'], on: BASE });
    expect(resolve(dag, [...BASE, 'ban'], [...BASE, 'join'])[`m.room.member|${CHARLIE}`]).toBe('ban');
  });

  it("lowered power levels undo a fork's use of the old ones", () => {
    const dag = new DagBuilder(v)
      .start({ [BOB]: 50 })
      .add('demote', ALICE, 'm.room.power_levels', '', { users: dag0Users(v, {}) }, { prev: ['imb'], on: BASE })
      .add('topic', BOB, 'm.room.topic', '', { topic: 'by bob' }, { prev: ['imb'], on: BASE });
    const resolved = resolve(dag, [...BASE, 'demote'], [...BASE, 'topic']);
    expect(resolved['m.room.power_levels|']).toBe('demote');
    expect(resolved['m.room.topic|']).toBeUndefined();
  });

  it('a join-rule change to invite beats a racing join', () => {
    const dag = new DagBuilder(v)
      .start()
      .add('jr', ALICE, 'm.room.join_rules', '', { join_rule: 'invite' }, { prev: ['imb'], on: BASE })
      .add('join', CHARLIE, 'm.room.member', CHARLIE, { membership: 'join' }, { prev: ['imb'], on: BASE });
    const resolved = resolve(dag, [...BASE, 'jr'], [...BASE, 'join']);
    expect(resolved['m.room.join_rules|']).toBe('jr');
    expect(resolved[`m.room.member|${CHARLIE}`]).toBeUndefined();
  });

  it('resolves topic conflicts by mainline order, not by timestamp', () => {
    const dag = new DagBuilder(v)
      .start()
      .add(
        'pl2',
        ALICE,
        'm.room.power_levels',
        '',
        { users: dag0Users(v, {}), state_default: 50 },
        { prev: ['imb'], on: BASE },
      )
      .add('t2', ALICE, 'm.room.topic', '', { topic: 'newer power levels' }, { on: [...BASE, 'pl2'], ts: 5000 })
      .add('t1', ALICE, 'm.room.topic', '', { topic: 'older power levels' }, { prev: ['imb'], on: BASE, ts: 9000 });
    const resolved = resolve(dag, [...BASE, 'pl2', 't2'], [...BASE, 't1']);
    expect(resolved['m.room.topic|']).toBe('t2');
  });

  it('breaks mainline ties by timestamp, then by event ID', () => {
    const byTime = new DagBuilder(v)
      .start()
      .add('early', ALICE, 'm.room.topic', '', { topic: 'a' }, { prev: ['imb'], on: BASE, ts: 2000 })
      .add('late', ALICE, 'm.room.topic', '', { topic: 'b' }, { prev: ['imb'], on: BASE, ts: 3000 });
    expect(resolve(byTime, [...BASE, 'early'], [...BASE, 'late'])['m.room.topic|']).toBe('late');

    const byId = new DagBuilder(v)
      .start()
      .add('x', ALICE, 'm.room.topic', '', { topic: 'x' }, { prev: ['imb'], on: BASE, ts: 2000 })
      .add('y', ALICE, 'm.room.topic', '', { topic: 'y' }, { prev: ['imb'], on: BASE, ts: 2000 });
    const larger = byId.id('x') > byId.id('y') ? 'x' : 'y';
    expect(resolve(byId, [...BASE, 'x'], [...BASE, 'y'])['m.room.topic|']).toBe(larger);
  });

  it('keeps unconflicted state as it is', () => {
    const dag = new DagBuilder(v)
      .start()
      .add('name', ALICE, 'm.room.name', '', { name: 'n' }, { prev: ['imb'], on: BASE })
      .add('t1', ALICE, 'm.room.topic', '', { topic: '1' }, { on: [...BASE, 'name'] })
      .add('t2', ALICE, 'm.room.topic', '', { topic: '2' }, { prev: ['name'], on: [...BASE, 'name'] });
    const resolved = resolve(dag, [...BASE, 'name', 't1'], [...BASE, 'name', 't2']);
    expect(resolved['m.room.name|']).toBe('name');
    expect(resolved[`m.room.member|${BOB}`]).toBe('imb');
  });
});

describe('state resolution: properties', () => {
  const dag = new DagBuilder('10')
    .start()
    .add('ban', ALICE, 'm.room.member', CHARLIE, { membership: 'ban' }, { prev: ['imb'], on: BASE })
    .add('join', CHARLIE, 'm.room.member', CHARLIE, { membership: 'join' }, { prev: ['imb'], on: BASE })
    .add('t1', ALICE, 'm.room.topic', '', { topic: '1' }, { prev: ['imb'], on: BASE })
    .add('t2', BOB, 'm.room.topic', '', { topic: '2' }, { prev: ['imb'], on: BASE })
    .add('jr', ALICE, 'm.room.join_rules', '', { join_rule: 'invite' }, { prev: ['imb'], on: BASE });
  const candidateSets = [
    [...BASE, 'ban', 't1'],
    [...BASE, 'join'],
    [...BASE, 't2', 'jr'],
    [...BASE, 'jr', 'ban'],
  ];

  it('does not depend on the order of the state sets', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(candidateSets, { minLength: 2 }), (sets) => {
        const forward = resolve(dag, ...sets);
        expect(resolve(dag, ...[...sets].reverse())).toEqual(forward);
      }),
    );
  });

  it('returns a single state set unchanged', () => {
    fc.assert(
      fc.property(fc.constantFrom(...candidateSets), (set) =>
        expect(resolve(dag, set)).toEqual(dag.names(dag.stateOf(set))),
      ),
    );
  });

  it('is unchanged by adding a copy of a state set already present', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(candidateSets, { minLength: 2 }), fc.nat(), (sets, i) => {
        expect(resolve(dag, ...sets, sets[i % sets.length])).toEqual(resolve(dag, ...sets));
      }),
    );
  });
});

describe('v12 (state resolution v2.1) differs from v2', () => {
  /**
   * Bob changes the power levels, then leaves; a concurrent fork has Alice's
   * power levels change and also Bob's leave. v2 checks Bob's change against
   * the unconflicted state (where Bob has left) and drops it; v2.1 starts the
   * power events from the empty state and checks Bob's change against its
   * own auth events, where he was joined, so it applies.
   */
  function scenario(v: string) {
    const levels = (extra: object) => ({ users: dag0Users(v, { [BOB]: 100 }), ...extra });
    const dag = new DagBuilder(v).start({ [BOB]: 100 });
    dag
      .add('pb', BOB, 'm.room.power_levels', '', levels({ events: { 'm.room.topic': 60 } }), {
        prev: ['imb'],
        on: BASE,
        ts: 3000,
      })
      .add('leave', BOB, 'm.room.member', BOB, { membership: 'leave' }, { on: [...BASE, 'pb'] })
      .add('pa', ALICE, 'm.room.power_levels', '', levels({ events: { 'm.room.name': 60 } }), {
        prev: ['imb'],
        on: BASE,
        ts: 2000,
      });
    return resolve(dag, [...BASE, 'pb', 'leave'], [...BASE, 'pa', 'leave'])['m.room.power_levels|'];
  }

  it('v11 keeps the power levels of the user still in the room', () => {
    expect(scenario('11')).toBe('pa');
  });

  it('v12 applies the departed user’s earlier change too', () => {
    expect(scenario('12')).toBe('pb');
  });
});

describe('state resolution v1 (room v1)', () => {
  it('picks the conflicting topic with the highest depth that passes auth', () => {
    const dag = new DagBuilder('1')
      .start()
      .add('t1', ALICE, 'm.room.topic', '', { topic: '1' }, { prev: ['imb'], on: BASE })
      .add('deeper', ALICE, 'm.room.message', undefined, {}, { prev: ['imb'], on: BASE })
      .add('t2', ALICE, 'm.room.topic', '', { topic: '2' }, { prev: ['deeper'], on: BASE })
      .add('t3', BOB, 'm.room.topic', '', { topic: '3' }, { prev: ['t2'], on: BASE });
    expect(resolve(dag, [...BASE, 't1'], [...BASE, 't2'])['m.room.topic|']).toBe('t2');
    expect(resolve(dag, [...BASE, 't1'], [...BASE, 't3'])['m.room.topic|']).toBe('t1');
  });

  it('resolves power levels before memberships', () => {
    const dag = new DagBuilder('1')
      .start({ [BOB]: 50 })
      .add('demote', ALICE, 'm.room.power_levels', '', { users: { [ALICE]: 100 } }, { prev: ['imb'], on: BASE })
      .add('kick', BOB, 'm.room.member', ALICE, { membership: 'leave' }, { prev: ['imb'], on: BASE });
    const resolved = resolve(dag, [...BASE, 'demote'], [...BASE, 'kick']);
    expect(resolved['m.room.power_levels|']).toBeDefined();
    expect(resolved[`m.room.member|${ALICE}`]).toBe('ima');
  });
});

/** Power level users for Alice as creator: listed before v12, implicit (infinite) from v12. */
function dag0Users(v: string, users: Record<string, number>): Record<string, number> {
  return v === '12' ? users : { [ALICE]: 100, ...users };
}
