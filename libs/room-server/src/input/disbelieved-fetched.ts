import { referencedIds, type HeldAuthEvent, type Pdu, type RoomVersion } from '@lattice/protocol';
import { checkAgainstAuthEvents } from '../dag/receipt-checks';

/**
 * Which of the events fetched to fill a gap (the state after a prev event this server lacks, and its auth
 * chain) cannot be believed: those whose auth events cannot be had, and those the auth rules reject against
 * their auth events (server-server-api "Checks performed on receipt of a PDU", step 4, applies to them as to
 * any PDU). A server's /state_ids answer is only its word: a state event that fails here is left out of the
 * state it was fetched for, and not stored.
 *
 * `held` gives the auth events found outside `fetched` (stored or planned), with whether each was rejected.
 */
export async function disbelievedFetched(
  version: RoomVersion,
  fetched: ReadonlyMap<string, Pdu>,
  create: Pdu | undefined,
  held: (eventIds: string[]) => Promise<Map<string, HeldAuthEvent>>,
): Promise<Set<string>> {
  if (fetched.size === 0) return new Set();
  const outsideIds = [...fetched.values()].flatMap((pdu) =>
    referencedIds(pdu.auth_events).filter((id) => !fetched.has(id)),
  );
  const outside = await held([...new Set(outsideIds)]);
  const believed = new Map<string, boolean>();
  // Depth first along auth_events, each event once; an event met again on its own path is in an auth cycle.
  const believe = (eventId: string, path: Set<string>): boolean => {
    const known = believed.get(eventId);
    if (known !== undefined) return known;
    if (path.has(eventId)) return false;
    path.add(eventId);
    const pdu = fetched.get(eventId)!;
    const authEvents: HeldAuthEvent[] = [];
    let complete = true;
    for (const authId of referencedIds(pdu.auth_events)) {
      const fetchedAuth = fetched.get(authId);
      const heldAuth = fetchedAuth ? { pdu: fetchedAuth, rejected: !believe(authId, path) } : outside.get(authId);
      if (!heldAuth) complete = false;
      else authEvents.push(heldAuth);
    }
    path.delete(eventId);
    const verdict = complete && checkAgainstAuthEvents(version, pdu, authEvents, create) === undefined;
    believed.set(eventId, verdict);
    return verdict;
  };
  return new Set([...fetched.keys()].filter((eventId) => !believe(eventId, new Set())));
}
