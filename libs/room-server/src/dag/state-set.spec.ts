import { stateKey, type ResolvableEvent } from '@lattice/protocol';
import { ALICE, BASE, BOB, CHARLIE, DagBuilder, setOf } from '../spec/dag-events';
import type { DagReader } from './dag-reader';
import { planSnapshot } from './snapshot-plan';
import { resolveStateSets } from './resolve-sets';
import {
  changedByResolution,
  changesSince,
  currentStateChanges,
  differences,
  membershipsChangedByResolution,
  stateAfter,
  type StateSet,
} from './state-set';

/** A reader that knows the DagBuilder's events, as the store would: the pure parts run without a database. */
const readerOf = (dag: DagBuilder, names: string[]) =>
  ({
    resolutionEvents: async () => names.map((n): ResolvableEvent => ({ eventId: dag.id(n), pdu: dag.pdu(n) })),
  }) as unknown as DagReader;

const idOf = (set: StateSet, type: string, key: string) => set.entries.get(stateKey(type, key))?.eventId;

describe('the state after an event', () => {
  const dag = new DagBuilder('10')
    .start()
    .add('topic', BOB, 'm.room.topic', '', { topic: 't' }, { on: BASE })
    .add('msg', BOB, 'm.room.message', undefined, {}, { on: BASE });
  const before = setOf(dag, BASE);

  it('is the state before it with an accepted state event set', () => {
    const after = stateAfter(before, { eventId: dag.id('topic'), pdu: dag.pdu('topic') }, false);
    expect(idOf(after, 'm.room.topic', '')).toBe(dag.id('topic'));
    expect(after.base).toBe(before);
    expect([...after.changes!.values()].map((e) => e?.eventId)).toEqual([dag.id('topic')]);
  });

  it('is the state before it for a message, and for a rejected state event', () => {
    expect(stateAfter(before, { eventId: dag.id('msg'), pdu: dag.pdu('msg') }, false)).toBe(before);
    expect(stateAfter(before, { eventId: dag.id('topic'), pdu: dag.pdu('topic') }, true)).toBe(before);
  });
});

describe('the state before an event with several prev events', () => {
  it('is the one state when the prev events agree, without resolving', async () => {
    const dag = new DagBuilder('10').start();
    const reader = { resolutionEvents: () => Promise.reject(new Error('not needed')) } as unknown as DagReader;
    const [a, b] = [setOf(dag, BASE), setOf(dag, BASE)];
    expect(await resolveStateSets(dag.version, [a, b], reader, new Map())).toBe(a);
  });

  it("is the resolution of the prev events' states when they disagree: a ban beats a concurrent join", async () => {
    const dag = new DagBuilder('10')
      .start()
      .add('ban', ALICE, 'm.room.member', CHARLIE, { membership: 'ban' }, { prev: ['imb'], on: BASE })
      .add('join', CHARLIE, 'm.room.member', CHARLIE, { membership: 'join' }, { prev: ['imb'], on: BASE });
    const resolved = await resolveStateSets(
      dag.version,
      [setOf(dag, [...BASE, 'join']), setOf(dag, [...BASE, 'ban'])],
      readerOf(dag, [...BASE, 'ban', 'join']),
      new Map(),
    );
    expect(idOf(resolved, 'm.room.member', CHARLIE)).toBe(dag.id('ban'));
    const joined = setOf(dag, [...BASE, 'join']).entries;
    const changed = changedByResolution(joined, differences(joined, resolved.entries), []);
    expect(changed.map((e) => e.eventId)).toEqual([dag.id('ban')]);
    expect(membershipsChangedByResolution(changed)).toEqual([CHARLIE]);
  });
});

describe('how a planned state is stored', () => {
  const dag = new DagBuilder('10').start().add('topic', BOB, 'm.room.topic', '', { topic: 't' }, { on: BASE });

  it('as layers over its base when it only adds or changes entries', () => {
    const base = setOf(dag, BASE);
    const plan = planSnapshot(stateAfter(base, { eventId: dag.id('topic'), pdu: dag.pdu('topic') }, false));
    expect(plan).toEqual({ base, changes: [expect.objectContaining({ eventId: dag.id('topic') })] });
  });

  it('whole when it drops an entry of its base (state resolution can)', () => {
    const base = setOf(dag, [...BASE, 'topic']);
    const resolved = setOf(dag, BASE);
    const plan = planSnapshot({ ...resolved, base, changes: differences(base.entries, resolved.entries) });
    expect('full' in plan && plan.full.length).toBe(BASE.length);
  });
});

describe("what a write changes in the room's current state", () => {
  const dag = new DagBuilder('10')
    .start()
    .add('topic', BOB, 'm.room.topic', '', { topic: 't' }, { on: BASE })
    .add('join', CHARLIE, 'm.room.member', CHARLIE, { membership: 'join' }, { on: BASE });
  const stored = (): StateSet => ({ ...setOf(dag, BASE), snapshotNid: 7n });
  const after = (before: StateSet, name: string) =>
    stateAfter(before, { eventId: dag.id(name), pdu: dag.pdu(name) }, false);

  it('is the planned changes along the chain from the stored state, the latest winning, without the rest', () => {
    const head = stored();
    const next = after(after(head, 'topic'), 'join');
    const { changes, unnumbered } = currentStateChanges({ state: head.entries, snapshotNid: 7n }, next);
    expect([...changes.values()].map((e) => e?.eventId).sort()).toEqual([dag.id('topic'), dag.id('join')].sort());
    expect(unnumbered.map((e) => e.eventId).sort()).toEqual([dag.id('topic'), dag.id('join')].sort());
  });

  it('is compared entry by entry when the next state was not derived from the stored one', () => {
    const head = stored();
    const elsewhere = after({ ...setOf(dag, BASE), snapshotNid: 8n }, 'topic');
    expect(changesSince(elsewhere, 7n)).toBeUndefined();
    const { changes } = currentStateChanges({ state: head.entries, snapshotNid: 7n }, elsewhere);
    expect([...changes.keys()]).toEqual([stateKey('m.room.topic', '')]);
  });
});
