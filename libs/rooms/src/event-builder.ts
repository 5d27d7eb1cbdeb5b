import { randomBytes } from 'node:crypto';
import { Refusals } from '@lattice/contracts';
import {
  CanonicalJsonError,
  computeEventId,
  selectAuthEvents,
  signEvent,
  stateKey,
  validateEventFormat,
  type JsonObject,
  type Pdu,
  type SigningKey,
} from '@lattice/protocol';
import type { RoomHead } from './room-head';

/** What a local event is made from. */
export interface EventTemplate {
  type: string;
  stateKey?: string;
  content: JsonObject;
  /** Top-level `redacts` (room versions before 11 keep it out of content). */
  redacts?: string;
}

/** prev_events are capped so one event never references an unbounded number of extremities. */
const MAX_PREV_EVENTS = 20;
const MAX_DEPTH = Number.MAX_SAFE_INTEGER;

/**
 * An event on top of the room's head, before hashes and signatures:
 * prev_events from the forward extremities, depth one more than theirs,
 * auth_events chosen by the auth events selection rules from the current
 * state, in the version's event format. What make_join offers another
 * server to sign, and what buildEvent signs for our own users.
 */
export function eventSkeleton(
  head: RoomHead,
  sender: string,
  template: EventTemplate,
  serverName: string,
  now = Date.now(),
): Pdu {
  const version = head.version;
  const prev = [...head.extremities].sort((a, b) => b.depth - a.depth).slice(0, MAX_PREV_EVENTS);
  const isCreate = template.type === 'm.room.create' && template.stateKey === '';
  const pdu: Pdu = {
    ...(version.roomIdFromCreateEvent && isCreate ? {} : { room_id: head.roomId }),
    sender,
    type: template.type,
    ...(template.stateKey === undefined ? {} : { state_key: template.stateKey }),
    content: template.content,
    origin_server_ts: now,
    depth: Math.min(MAX_DEPTH, Math.max(0, ...prev.map((p) => p.depth)) + 1),
    prev_events: [],
    auth_events: [],
    hashes: { sha256: '' },
    signatures: {},
    ...(template.redacts === undefined ? {} : { redacts: template.redacts }),
  };
  if (version.eventIdFormat === 'origin') pdu.event_id = `$${randomBytes(12).toString('base64url')}:${serverName}`;
  const lookup = (type: string, key: string) => head.state.get(stateKey(type, key))?.pdu;
  const reference = (eventId: string, sha256: string) =>
    version.eventIdFormat === 'origin' ? ([eventId, { sha256 }] as [string, JsonObject]) : eventId;
  pdu.prev_events = prev.map((p) => reference(p.eventId, p.sha256));
  pdu.auth_events = selectAuthEvents(version, pdu, lookup).map((auth) =>
    reference(idOfState(head, auth), auth.hashes.sha256),
  );
  return pdu;
}

/**
 * Builds, hashes and signs a local event on top of the room's head (see
 * eventSkeleton). Format and size are checked here (M_TOO_LARGE /
 * M_BAD_JSON); authorization is the caller's next step.
 */
export function buildEvent(
  head: RoomHead,
  sender: string,
  template: EventTemplate,
  serverName: string,
  key: SigningKey,
  now = Date.now(),
): { eventId: string; pdu: Pdu } {
  const version = head.version;
  const signed = signOrRefuse(version, eventSkeleton(head, sender, template, serverName, now), serverName, key);
  const violation = validateEventFormat(version, signed);
  if (violation) {
    if (violation.field === '(event)') throw Refusals.tooLarge(`Event is ${violation.rule}`);
    throw Refusals.badJson(`Invalid event: ${violation.field} ${violation.rule}`);
  }
  return { eventId: computeEventId(version, signed), pdu: signed };
}

/**
 * Hashing and signing encode the event as canonical JSON, which has no form
 * for floats or integers beyond 2**53 (appendices "Canonical JSON"): content
 * holding one is malformed input, not a server fault.
 */
function signOrRefuse(version: RoomHead['version'], pdu: Pdu, serverName: string, key: SigningKey): Pdu {
  try {
    return signEvent(version, pdu, serverName, key);
  } catch (e) {
    if (e instanceof CanonicalJsonError) throw Refusals.badJson(`Invalid event: ${e.path} canonical JSON: ${e.rule}`);
    throw e;
  }
}

function idOfState(head: RoomHead, pdu: Pdu): string {
  return head.state.get(stateKey(pdu.type, pdu.state_key!))!.eventId;
}
