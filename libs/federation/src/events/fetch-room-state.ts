import { Logger } from '@nestjs/common';
import { isEventOfRoom, type Pdu, type RoomVersion } from '@lattice/protocol';
import type { FederationClient } from '../client/federation-client';
import { checkIncomingPdu, type VerifyKeySource } from './check-incoming-pdu';

/** For the failures below that are deliberately gone past (see each one's message). */
const logger = new Logger('fetchRoomState');

/** Events one gap may fetch one by one (/event) before giving up on it. */
const MAX_FETCHED = 500;
/** Requests in flight at once while fetching events one by one. */
const PARALLEL = 8;
/**
 * When at least this share of a state and its auth chain is missing, the state is fetched whole (/state) rather
 * than one /event each: Synapse's threshold, for the same reason (hundreds of requests for a room long away).
 */
const WHOLE_STATE_SHARE = 0.1;

type Checked = { eventId: string; pdu: Pdu };

/** Where and as whom the requests go, and how answers are checked. */
export interface RoomFetchContext {
  client: FederationClient;
  keys: VerifyKeySource;
  origin: string;
  server: string;
  roomId: string;
  version: RoomVersion;
}

/** Checks fetched PDUs of the room as any PDU; ones that fail are left out. */
async function checkAll(ctx: RoomFetchContext, pdus: unknown): Promise<Checked[]> {
  const checked: Checked[] = [];
  for (const pdu of Array.isArray(pdus) ? (pdus as Pdu[]) : []) {
    if (!isEventOfRoom(ctx.version, pdu, ctx.roomId)) continue;
    const result = await checkIncomingPdu(ctx.version, pdu, ctx.keys);
    if (result.ok) checked.push({ eventId: result.eventId, pdu: result.pdu });
  }
  return checked;
}

/** The auth chain of an event (GET /event_auth, server-server-api "Retrieving event authorisation information"). */
export async function fetchAuthChain(ctx: RoomFetchContext, eventId: string): Promise<Checked[]> {
  const path = `/_matrix/federation/v1/event_auth/${encodeURIComponent(ctx.roomId)}/${encodeURIComponent(eventId)}`;
  const answer = await ctx.client
    .request<{ auth_chain?: unknown }>(ctx.origin, ctx.server, 'GET', path)
    .catch((e: unknown) =>
      logger.debug(
        `/event_auth of ${eventId} from ${ctx.server} failed; the caller tries elsewhere or goes without: ${String(e)}`,
      ),
    );
  return checkAll(ctx, answer?.auth_chain);
}

/** Events by ID (GET /event each), those the server returns and that pass the checks. */
export async function fetchEventsById(ctx: RoomFetchContext, eventIds: string[]): Promise<Checked[]> {
  const found: Checked[] = [];
  const queue = eventIds.slice(0, MAX_FETCHED);
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const answer = await ctx.client
        .request<{ pdus?: unknown }>(
          ctx.origin,
          ctx.server,
          'GET',
          `/_matrix/federation/v1/event/${encodeURIComponent(id)}`,
        )
        .catch((e: unknown) =>
          logger.debug(`Event ${id} not fetched from ${ctx.server}; it stays missing: ${String(e)}`),
        );
      found.push(...(await checkAll(ctx, answer?.pdus)).filter((e) => e.eventId === id));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return found;
}

/** The state before an event with its auth chain, whole (GET /state), the events that pass the checks. */
async function fetchWholeState(ctx: RoomFetchContext, eventId: string): Promise<Checked[]> {
  const path = `/_matrix/federation/v1/state/${encodeURIComponent(ctx.roomId)}?event_id=${encodeURIComponent(eventId)}`;
  const answer = await ctx.client
    .request<{ pdus?: unknown; auth_chain?: unknown }>(ctx.origin, ctx.server, 'GET', path)
    .catch((e: unknown) =>
      logger.debug(`/state at ${eventId} from ${ctx.server} failed; its events are fetched one by one: ${String(e)}`),
    );
  return [...(await checkAll(ctx, answer?.pdus)), ...(await checkAll(ctx, answer?.auth_chain))];
}

/**
 * The state after an event this server does not have and could not get
 * with get_missing_events (server-server-api "Checks performed on receipt
 * of a PDU" leaves servers to ask): the state before it from /state_ids,
 * then the event itself on top when it is a state event. Events of that
 * state and of its auth chain that `known` does not hold are fetched with
 * /event. Undefined when the server will not say or an event of the state
 * cannot be had.
 */
export async function fetchStateAfter(
  ctx: RoomFetchContext,
  eventId: string,
  known: (ids: string[]) => Promise<Set<string>>,
): Promise<{ stateIds: string[]; events: Checked[] } | undefined> {
  const path = `/_matrix/federation/v1/state_ids/${encodeURIComponent(ctx.roomId)}?event_id=${encodeURIComponent(eventId)}`;
  const answer = await ctx.client
    .request<{ pdu_ids?: unknown; auth_chain_ids?: unknown }>(ctx.origin, ctx.server, 'GET', path)
    .catch((e: unknown) =>
      logger.debug(`/state_ids at ${eventId} from ${ctx.server} failed; the state there stays unknown: ${String(e)}`),
    );
  if (!answer || !Array.isArray(answer.pdu_ids) || !Array.isArray(answer.auth_chain_ids)) return undefined;
  const stateIds = (answer.pdu_ids as unknown[]).filter((id): id is string => typeof id === 'string');
  const wanted = [
    ...new Set([
      eventId,
      ...stateIds,
      ...(answer.auth_chain_ids as unknown[]).filter((id): id is string => typeof id === 'string'),
    ]),
  ];
  const have = await known(wanted);
  const missing = wanted.filter((id) => !have.has(id));
  const missingIds = new Set(missing);
  const whole = missing.length >= wanted.length * WHOLE_STATE_SHARE ? await fetchWholeState(ctx, eventId) : [];
  const inWhole = new Set(whole.map((e) => e.eventId));
  const events = [
    ...whole.filter((e) => missingIds.has(e.eventId)),
    ...(await fetchEventsById(
      ctx,
      missing.filter((id) => !inWhole.has(id)),
    )),
  ];
  const got = new Set([...have, ...events.map((e) => e.eventId)]);
  if (!stateIds.every((id) => got.has(id))) return undefined;
  // The event last: where it is a state event it replaces the entry of its (type, state_key).
  return { stateIds: got.has(eventId) ? [...stateIds, eventId] : stateIds, events };
}
