import { stateKey } from '@lattice/protocol';
import { DagBuilder } from '../../../protocol/src/state-res/spec/dag-builder';
import type { StateSet } from '../dag/state-set';

export { ALICE, BOB, CHARLIE, DagBuilder } from '../../../protocol/src/state-res/spec/dag-builder';

/** The usual start of a room in the DagBuilder's naming. */
export const BASE = ['create', 'ima', 'ipower', 'ijr', 'imb'];

/** A state set of named DagBuilder events (later names replace earlier ones of the same key). */
export function setOf(dag: DagBuilder, names: string[]): StateSet {
  const entries = new Map();
  for (const name of names) {
    const pdu = dag.pdu(name);
    entries.set(stateKey(pdu.type, pdu.state_key!), { eventId: dag.id(name), eventNid: 0n, pdu });
  }
  return { entries };
}
