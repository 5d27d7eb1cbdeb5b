import {
  authEventsLookup,
  checkEventAuth,
  type JsonObject,
  type Pdu,
  type RoomVersion,
  type SigningKey,
} from '@lattice/protocol';
import type { FederationClient } from '../client/federation-client';
import { checkIncomingPdu, memoizedKeys } from '../events/check-incoming-pdu';
import type { ServerKeys } from '../keys/server-keys';
import { makeMembershipTemplate, RemoteMembershipError } from './make-template';
import { partialStateOf } from './partial-state';
import { signMembershipTemplate } from './sign-template';

/** A join made through another server, checked and ready for the room-server to take in. */
export interface RemoteJoin {
  /** The resident server the join went through. */
  server: string;
  version: RoomVersion;
  eventId: string;
  pdu: Pdu;
  state: Array<{ eventId: string; pdu: Pdu }>;
  authChain: Array<{ eventId: string; pdu: Pdu }>;
  /**
   * Set when the resident omitted members (a partial-state join): the server
   * joined through and servers_in_room, to fetch the full state from later.
   */
  partial?: { joinedThrough: string; serversInRoom: string[] };
}

/**
 * Joins a room this server does not have through servers that do
 * (server-server-api "Joining Rooms"): make_join for a template, our
 * signature on it, send_join, then the answer checked: every state and
 * auth-chain event must be well formed and properly signed (fetching keys
 * as needed), and must pass the auth rules against its own auth events.
 * Events that fail are left out; a state without a create event fails the join.
 * It asks for omit_members (a partial-state or "faster" join): a resident
 * that honours it leaves most member events out, and the room is marked
 * partial until the full state is fetched (PartialStateResync). A rejoin
 * of a room this server still has (`fullState`) asks for every member: the
 * room is not new here, so there is no partial state to mark.
 */
export class RemoteJoiner {
  constructor(
    private readonly client: FederationClient,
    private readonly keys: ServerKeys,
    private readonly signingKey: (serverName: string) => Promise<SigningKey>,
  ) {}

  async join(
    origin: string,
    userId: string,
    roomId: string,
    servers: string[],
    content: JsonObject,
    options: { fullState?: boolean } = {},
  ): Promise<RemoteJoin> {
    let lastError: Error = new RemoteMembershipError(404, 'M_NOT_FOUND', `No server to join ${roomId} through`);
    for (const server of servers) {
      try {
        return await this.joinThrough(origin, server, userId, roomId, content, options.fullState === true);
      } catch (e) {
        lastError = e as Error;
        if (e instanceof RemoteMembershipError && e.status === 403) break;
      }
    }
    throw lastError;
  }

  private async joinThrough(
    origin: string,
    server: string,
    userId: string,
    roomId: string,
    content: JsonObject,
    fullState: boolean,
  ): Promise<RemoteJoin> {
    const { version, template } = await makeMembershipTemplate(this.client, origin, server, 'join', roomId, userId);
    const { eventId, pdu: ours } = signMembershipTemplate(
      version,
      template,
      'join',
      content,
      origin,
      await this.signingKey(origin),
    );
    const answer = await this.client.request<{
      event?: Pdu;
      state?: Pdu[];
      auth_chain?: Pdu[];
      members_omitted?: unknown;
      servers_in_room?: unknown;
    }>(
      origin,
      server,
      'PUT',
      `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}${fullState ? '' : '?omit_members=true'}`,
      ours as unknown as JsonObject,
    );
    const pdu = await this.residentSigned(version, eventId, ours, answer.event);
    const partial = partialStateOf(answer);
    if ('problem' in partial) throw new Error(`${server} answered send_join with ${partial.problem}`);

    const authChain = await this.acceptable(version, answer.auth_chain ?? []);
    const byId = new Map(authChain.map((e) => [e.eventId, e.pdu]));
    const state = (await this.acceptable(version, answer.state ?? [])).filter((e) => e.pdu.state_key !== undefined);
    for (const e of state) byId.set(e.eventId, e.pdu);
    // From v12 the create event is not among auth_events: the room ID names it.
    const create = version.roomIdFromCreateEvent
      ? [...byId.values()].find((p) => p.type === 'm.room.create' && p.state_key === '')
      : undefined;
    const authorised = (events: Array<{ eventId: string; pdu: Pdu }>) =>
      events.filter(
        ({ pdu }) =>
          checkEventAuth(
            version,
            pdu,
            authEventsLookup(pdu, (id) => byId.get(id), create),
          ).allowed,
      );
    const acceptedState = authorised(state);
    if (!acceptedState.some((e) => e.pdu.type === 'm.room.create'))
      throw new Error(`${server} answered send_join without a valid create event`);
    return {
      server,
      version,
      eventId,
      pdu,
      state: acceptedState,
      authChain: authorised(authChain),
      ...(partial.partial ? { partial: { joinedThrough: server, serversInRoom: partial.servers } } : {}),
    };
  }

  /**
   * A restricted join (join_authorised_via_users_server in the template) needs the resident
   * server's signature too: it comes back in send_join's `event` (server-server-api "send_join"),
   * which must be our event, now signed by every server it needs.
   */
  private async residentSigned(
    version: RoomVersion,
    eventId: string,
    ours: Pdu,
    answered: Pdu | undefined,
  ): Promise<Pdu> {
    if (ours.content.join_authorised_via_users_server === undefined) return ours;
    const checked = answered && (await checkIncomingPdu(version, answered, this.keys));
    if (!checked?.ok || checked.eventId !== eventId)
      throw new Error(`send_join did not return our restricted join signed by the server that vouched for it`);
    return checked.pdu;
  }

  /** The events that are well formed and properly signed, with their IDs (redacted where the content hash does not match). */
  private async acceptable(version: RoomVersion, events: Pdu[]): Promise<Array<{ eventId: string; pdu: Pdu }>> {
    const accepted: Array<{ eventId: string; pdu: Pdu }> = [];
    const keys = memoizedKeys(this.keys);
    for (const event of events) {
      const checked = await checkIncomingPdu(version, event, keys);
      if (checked.ok) accepted.push({ eventId: checked.eventId, pdu: checked.pdu });
    }
    return accepted;
  }
}

/**
 * Leaves a room this server is not in (declining an invite, retracting a knock) through a
 * server that is (server-server-api "Leaving Rooms"): make_leave, our
 * signature, send_leave.
 */
export async function leaveThrough(
  client: FederationClient,
  key: SigningKey,
  origin: string,
  server: string,
  userId: string,
  roomId: string,
): Promise<{ eventId: string; pdu: Pdu }> {
  const { version, template } = await makeMembershipTemplate(client, origin, server, 'leave', roomId, userId);
  const { eventId, pdu } = signMembershipTemplate(version, template, 'leave', {}, origin, key);
  await client.request(
    origin,
    server,
    'PUT',
    `/_matrix/federation/v2/send_leave/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
    pdu as unknown as JsonObject,
  );
  return { eventId, pdu };
}
