import { authEventsLookup, checkEventAuth, referencedIds, type Pdu, type RoomVersion } from '@lattice/protocol';
import { checkIncomingPdu, type VerifyKeySource } from './check-incoming-pdu';

/**
 * Checks events fetched from another server outside the DAG (the state of a
 * partial-state room, missing auth events) as any PDU is checked: format,
 * signatures and content hash, then the auth rules against its own auth
 * events, which must be among the events accepted here or `stored` (events
 * this server has). An event is decided once its auth events are (depth is
 * only a hint of that order, so passes repeat while they decide something);
 * an event that fails, or whose auth events are missing or failed, is left
 * out. From v12 the create event is not among auth_events: pass it.
 */
export async function checkFetchedEvents(
  version: RoomVersion,
  events: Pdu[],
  keys: VerifyKeySource,
  stored: (eventIds: string[]) => Promise<Map<string, Pdu>>,
  create: Pdu | undefined,
): Promise<Array<{ eventId: string; pdu: Pdu }>> {
  const wellFormed: Array<{ eventId: string; pdu: Pdu }> = [];
  for (const event of [...events].sort((a, b) => a.depth - b.depth)) {
    const checked = await checkIncomingPdu(version, event, keys);
    if (checked.ok) wellFormed.push({ eventId: checked.eventId, pdu: checked.pdu });
  }
  const fetchedIds = new Set(wellFormed.map((e) => e.eventId));
  const known = await stored(
    [...new Set(wellFormed.flatMap((e) => referencedIds(e.pdu.auth_events)))].filter((id) => !fetchedIds.has(id)),
  );
  const accepted = new Map<string, Pdu>();
  const failed = new Set<string>();
  const find = (id: string) => accepted.get(id) ?? known.get(id);
  let pending = wellFormed;
  for (let decided = true; decided && pending.length;) {
    decided = false;
    const waiting: typeof pending = [];
    for (const event of pending) {
      const auth = referencedIds(event.pdu.auth_events);
      if (auth.some((id) => failed.has(id) || (!fetchedIds.has(id) && !known.has(id)))) {
        failed.add(event.eventId);
      } else if (auth.every((id) => find(id) !== undefined)) {
        if (checkEventAuth(version, event.pdu, authEventsLookup(event.pdu, find, create)).allowed)
          accepted.set(event.eventId, event.pdu);
        else failed.add(event.eventId);
      } else {
        waiting.push(event);
        continue;
      }
      decided = true;
    }
    pending = waiting;
  }
  return [...accepted.entries()].map(([eventId, pdu]) => ({ eventId, pdu }));
}
