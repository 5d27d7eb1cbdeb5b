import type { FederatedEventInput } from '@lattice/contracts';
import { Refusals } from '@lattice/contracts';
import { referencedIds, stateKey, type HeldAuthEvent, type Pdu, type RoomVersion } from '@lattice/protocol';
import type { StateEntry } from '@lattice/rooms';
import type { DagReader } from '../dag/dag-reader';
import type { DraftRoom } from '../dag/draft-room';
import { checkAgainstAuthEvents, checkReceivedEvent, type Receipt } from '../dag/receipt-checks';
import { resolveStateSets } from '../dag/resolve-sets';
import type { StateSet } from '../dag/state-set';
import type { NewEvent } from '../storage/room-store';
import { disbelievedFetched } from './disbelieved-fetched';

/** An event this writer can see: planned in the batch, stored, or fetched with the input. */
interface KnownEvent {
  eventId: string;
  pdu: Pdu;
  rejected: boolean;
  /** The state after it, where the DAG says (not for outliers). */
  after?: () => Promise<StateSet | undefined>;
}

/**
 * Places an event another server sent (server-server-api "Checks performed
 * on receipt of a PDU", steps 4 to 6): the state before it is the state
 * after its prev event, or the resolution of the states after its prev
 * events when there are several (for a prev event this server could not
 * fetch, the state the input brings for it); then it is checked against
 * its auth events, that state and the current state. Fails with an error,
 * storing nothing, only when it cannot be placed at all (an auth event or
 * the state before it is unknown).
 */
export async function planReceivedEvent(
  input: FederatedEventInput,
  room: DraftRoom,
  reader: DagReader,
): Promise<NewEvent> {
  const pdu = input.pdu;
  // Events fetched for an earlier input of the batch (the gap before what get_missing_events brought) serve this one too.
  const fetched = new Map([...room.outliers, ...(input.outliers ?? [])].map((o) => [o.eventId, o.pdu]));
  const disbelieved = await disbelievedFetched(
    room.head.version,
    fetched,
    room.current.entries.get(stateKey('m.room.create', ''))?.pdu,
    (ids) => heldEvents(ids, room, reader),
  );
  const prevIds = referencedIds(pdu.prev_events);
  const authIds = referencedIds(pdu.auth_events);
  const known = await knownEvents([...prevIds, ...authIds], room, reader, fetched, disbelieved);

  const missingAuth = authIds.filter((id) => !known.has(id));
  if (missingAuth.length) throw Refusals.forbidden(`Auth events unknown to this server: ${missingAuth.join(', ')}`);
  const authEvents: HeldAuthEvent[] = authIds.map((id) => ({
    pdu: known.get(id)!.pdu,
    rejected: known.get(id)!.rejected,
  }));

  const prevStates: StateSet[] = [];
  let gapBefore = false;
  for (const id of prevIds) {
    const knownState = await known.get(id)?.after?.();
    const state = knownState ?? (await fetchedState(input.prevStates?.[id], room, reader, fetched, disbelieved));
    if (state) prevStates.push(state);
    if (!knownState && state) gapBefore = true;
  }
  if (prevStates.length === 0) throw Refusals.forbidden('The state before this event is unknown to this server');
  const believedOutliers = (input.outliers ?? []).filter((o) => !disbelieved.has(o.eventId));
  const before = await resolveStateSets(room.head.version, prevStates, reader, room.batchEvents(believedOutliers));
  const receipt = room.head.partialState
    ? receiptInPartialRoom(room.head.version, pdu, authEvents, before)
    : checkReceivedEvent(room.head.version, pdu, authEvents, before, room.current);
  // A sender who was never part of the room (no member event either side) has no standing to add even rejected events to its DAG: those are dropped.
  const member = stateKey('m.room.member', pdu.sender);
  if (receipt.status === 'rejected' && !before.entries.has(member) && !room.current.entries.has(member))
    throw Refusals.forbidden(`Rejected: ${receipt.reason}`);
  const kept = new Set(room.outliers.map((o) => o.eventId));
  for (const outlier of believedOutliers)
    if (!room.planned.has(outlier.eventId) && !kept.has(outlier.eventId)) room.outliers.push(outlier);
  return {
    eventId: input.eventId,
    pdu,
    before,
    ...(receipt.status === 'accepted' ? {} : { status: receipt.status, rejectionReason: receipt.reason }),
    ...(gapBefore ? { gapBefore } : {}),
  };
}

async function knownEvents(
  ids: string[],
  room: DraftRoom,
  reader: DagReader,
  fetched: Map<string, Pdu>,
  disbelieved: Set<string>,
): Promise<Map<string, KnownEvent>> {
  const known = new Map<string, KnownEvent>();
  const stored = await reader.events(ids.filter((id) => !room.planned.has(id)));
  for (const id of ids) {
    const planned = room.planned.get(id);
    const event = stored.get(id);
    if (planned)
      known.set(id, {
        eventId: id,
        pdu: planned.pdu,
        rejected: planned.rejected ?? false,
        after: async () => room.after.get(id),
      });
    else if (event)
      known.set(id, { eventId: id, pdu: event.pdu, rejected: event.rejected, after: () => reader.stateAfter(event) });
    else if (fetched.has(id)) known.set(id, { eventId: id, pdu: fetched.get(id)!, rejected: disbelieved.has(id) });
  }
  return known;
}

/** Events planned in the batch or stored, as auth events are held. */
async function heldEvents(ids: string[], room: DraftRoom, reader: DagReader): Promise<Map<string, HeldAuthEvent>> {
  const stored = await reader.events(ids.filter((id) => !room.planned.has(id)));
  const held = new Map<string, HeldAuthEvent>();
  for (const id of ids) {
    const event = room.planned.get(id) ?? stored.get(id);
    if (event) held.set(id, { pdu: event.pdu, rejected: event.rejected ?? false });
  }
  return held;
}

/**
 * The state the input brings for a prev event this server does not have, from stored, planned and fetched
 * events; fetched events that cannot be believed are left out of it.
 */
async function fetchedState(
  eventIds: string[] | undefined,
  room: DraftRoom,
  reader: DagReader,
  fetched: Map<string, Pdu>,
  disbelieved: Set<string>,
): Promise<StateSet | undefined> {
  if (!eventIds) return undefined;
  const stored = await reader.events(eventIds.filter((id) => !fetched.has(id) && !room.planned.has(id)));
  const entries = new Map<string, StateEntry>();
  for (const id of eventIds) {
    if (disbelieved.has(id)) continue;
    const pdu = fetched.get(id) ?? room.planned.get(id)?.pdu ?? stored.get(id)?.pdu;
    if (!pdu) return undefined;
    if (pdu.state_key !== undefined)
      entries.set(stateKey(pdu.type, pdu.state_key), { eventId: id, eventNid: stored.get(id)?.eventNid ?? 0n, pdu });
  }
  return { entries };
}

/**
 * In a room joined with partial state the state before an event and the
 * current state lack most members, so until the room is complete an event
 * is decided by its own auth events alone (server-server-api "Checks
 * performed on receipt of a PDU", step 4), as Synapse does.
 */
function receiptInPartialRoom(version: RoomVersion, pdu: Pdu, authEvents: HeldAuthEvent[], before: StateSet): Receipt {
  const reason = checkAgainstAuthEvents(
    version,
    pdu,
    authEvents,
    before.entries.get(stateKey('m.room.create', ''))?.pdu,
  );
  return reason ? { status: 'rejected', reason } : { status: 'accepted' };
}
