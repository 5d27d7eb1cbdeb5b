import { Body, Controller, Get, Inject, Param, Put, Query, UseGuards } from '@nestjs/common';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { BUS, type Bus } from '@lattice/bus';
import { checkIncomingPdu, partialJoinState, queueOutbound, ServerKeys } from '@lattice/federation';
import { Errors, MatrixError, Public, Tenant } from '@lattice/http';
import { checkEventAuth, serverNameOf, signEvent, stateKey, STRIPPED_STATE_TYPES, type Pdu } from '@lattice/protocol';
import {
  checkRestrictedJoin,
  eventSkeleton,
  Keyring,
  loadRoomHead,
  RoomInputClient,
  FEDERATION_ROOM_READS,
  type FederationRoomReads,
  type RoomHead,
} from '@lattice/rooms';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { FederationAuthGuard, Origin } from '../auth/federation-auth.guard';
import { ServerAclGuard } from '../auth/server-acl.guard';

type Handshake = 'join' | 'knock' | 'leave';

/**
 * Joining, knocking on and leaving a room of this server from another
 * (server-server-api "Joining Rooms", "Knocking upon a room", "Leaving
 * Rooms"): make_join / make_knock / make_leave offer an unsigned membership
 * event on top of the room's current head, the other server signs it,
 * send_join / send_knock / send_leave check and persist it; send_join
 * answers with the room's state and its auth chain (without most member
 * events when asked to omit them: a partial-state join), send_knock with
 * the state the knocker may see. A room this server itself holds only
 * partially is not offered: it cannot vouch for the state.
 */
@Controller('_matrix/federation')
@UseGuards(FederationAuthGuard, ServerAclGuard)
export class MembershipHandshakeController {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    private readonly keys: ServerKeys,
    private readonly keyring: Keyring,
    private readonly rooms: RoomInputClient,
    @Inject(FEDERATION_ROOM_READS) private readonly reader: FederationRoomReads,
    @Inject(BUS) private readonly bus: Bus,
    private readonly tenants: TenantDirectory,
  ) {}

  @Get('v1/make_join/:roomId/:userId')
  @Public()
  makeJoin(
    @Tenant() tenant: TenantConfig,
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Param('userId') userId: string,
    @Query('ver') ver?: string | string[],
  ) {
    // Servers that list no versions support only version 1.
    return this.make(
      'join',
      origin,
      roomId,
      userId,
      ver === undefined ? ['1'] : Array.isArray(ver) ? ver : [ver],
      tenant,
    );
  }

  /** make_knock: `ver` is required (knocks.yaml), since knocking exists only from room version 7. */
  @Get('v1/make_knock/:roomId/:userId')
  @Public()
  makeKnock(
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Param('userId') userId: string,
    @Query('ver') ver?: string | string[],
  ) {
    if (ver === undefined) throw Errors.missingParam('make_knock needs the room versions the server supports (ver)');
    return this.make('knock', origin, roomId, userId, Array.isArray(ver) ? ver : [ver]);
  }

  @Get('v1/make_leave/:roomId/:userId')
  @Public()
  makeLeave(@Origin() origin: string, @Param('roomId') roomId: string, @Param('userId') userId: string) {
    return this.make('leave', origin, roomId, userId);
  }

  private async make(
    membership: Handshake,
    origin: string,
    roomId: string,
    userId: string,
    supported?: string[],
    tenant?: TenantConfig,
  ) {
    if (serverNameOf(userId) !== origin) throw Errors.forbidden(`${origin} cannot make a ${membership} for ${userId}`);
    const head = await loadRoomHead(this.db, roomId);
    if (!head) throw Errors.notFound(`Room ${roomId} is not known to this server`);
    if (head.partialState) throw notFullyJoined(roomId);
    if (supported && !supported.includes(head.version.id)) {
      throw new MatrixError(
        400,
        'M_INCOMPATIBLE_ROOM_VERSION',
        `The room is version ${head.version.id}, which ${origin} does not support`,
        { room_version: head.version.id },
      );
    }
    const member = head.state.get(stateKey('m.room.member', userId))?.pdu.content;
    const content = {
      membership,
      ...(membership === 'join' && typeof member?.displayname === 'string' ? { displayname: member.displayname } : {}),
      ...(tenant && member?.membership !== 'invite' && member?.membership !== 'join'
        ? await this.joinAuthoriser(head, userId, tenant)
        : {}),
    };
    const event = eventSkeleton(head, userId, { type: 'm.room.member', stateKey: userId, content }, origin);
    const decision = checkEventAuth(head.version, event, (t, k) => head.state.get(stateKey(t, k))?.pdu);
    if (!decision.allowed) throw Errors.forbidden(`${userId} may not ${membership}: ${decision.reason}`);
    const { hashes: _hashes, signatures: _signatures, ...template } = event;
    return { room_version: head.version.id, event: template };
  }

  /**
   * make_join of a restricted room (server-server-api "Restricted rooms"): a member of this server
   * who may invite vouches for a user of an allowed room. M_UNABLE_TO_AUTHORISE_JOIN when this
   * server is in none of the allowed rooms, M_UNABLE_TO_GRANT_JOIN when none of its members may
   * invite; a user of no allowed room is left to the auth rules to refuse.
   */
  private async joinAuthoriser(
    head: RoomHead,
    userId: string,
    tenant: TenantConfig,
  ): Promise<{ join_authorised_via_users_server?: string }> {
    const restricted = await checkRestrictedJoin(head, userId, this.reader, (server) => server === tenant.serverName);
    if (!restricted || restricted.allowedRooms.length === 0) return {};
    if (!restricted.knowsAllowedRooms)
      throw new MatrixError(
        400,
        'M_UNABLE_TO_AUTHORISE_JOIN',
        'This server is in none of the rooms that grant access to this one',
      );
    if (!restricted.allowed) return {};
    if (!restricted.authoriser)
      throw new MatrixError(
        400,
        'M_UNABLE_TO_GRANT_JOIN',
        'No member of this server may invite to this room; try another server',
      );
    return { join_authorised_via_users_server: restricted.authoriser };
  }

  @Put('v2/send_join/:roomId/:eventId')
  @Public()
  sendJoin(
    @Tenant() tenant: TenantConfig,
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Body() body: unknown,
    @Query('omit_members') omitMembers?: string,
  ) {
    return this.join(tenant, origin, roomId, eventId, body, omitMembers === 'true');
  }

  /** The deprecated v1 send_join (server-server-api "Joining Rooms"): the same checks, answered as `[200, body]` without the v2 additions. */
  @Put('v1/send_join/:roomId/:eventId')
  @Public()
  async sendJoinV1(
    @Tenant() tenant: TenantConfig,
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Body() body: unknown,
  ) {
    const { origin: resident, state, auth_chain } = await this.join(tenant, origin, roomId, eventId, body, false);
    return [200, { origin: resident, state, auth_chain }];
  }

  private async join(
    tenant: TenantConfig,
    origin: string,
    roomId: string,
    eventId: string,
    body: unknown,
    omit: boolean,
  ) {
    if (await this.reader.isPartialState(roomId)) throw notFullyJoined(roomId);
    const stateBefore = (await this.reader.currentState(roomId)).filter((e) => e.eventId !== eventId);
    const pdu = await this.accept('join', tenant, origin, roomId, eventId, body);
    // joins-v2 omit_members: member events may be left out of `state`, and events in `state` out of `auth_chain`.
    const state = omit ? partialJoinState(stateBefore, pdu.sender) : stateBefore;
    const inState = new Set(state.map((e) => e.eventId));
    const authChain = (await this.reader.authChain([...state.map((e) => e.eventId), eventId])).filter(
      (e) => !omit || !inState.has(e.eventId),
    );
    return {
      origin: tenant.serverName,
      event: pdu,
      state: state.map((e) => e.pdu),
      auth_chain: authChain.map((e) => e.pdu),
      members_omitted: omit,
      // "The servers active in the room (ie, those with joined members) before the join."
      servers_in_room: serversOf(stateBefore),
    };
  }

  @Put('v2/send_leave/:roomId/:eventId')
  @Public()
  async sendLeave(
    @Tenant() tenant: TenantConfig,
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Body() body: unknown,
  ) {
    await this.accept('leave', tenant, origin, roomId, eventId, body);
    return {};
  }

  /** The deprecated v1 send_leave: the same, answered as `[200, {}]`. */
  @Put('v1/send_leave/:roomId/:eventId')
  @Public()
  async sendLeaveV1(
    @Tenant() tenant: TenantConfig,
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Body() body: unknown,
  ) {
    await this.accept('leave', tenant, origin, roomId, eventId, body);
    return [200, {}];
  }

  /**
   * send_knock answers with knock_room_state: the room's stripped-state
   * events as full PDUs, the create event among them (knocks.yaml, v1.16).
   */
  @Put('v1/send_knock/:roomId/:eventId')
  @Public()
  async sendKnock(
    @Tenant() tenant: TenantConfig,
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Body() body: unknown,
  ) {
    await this.accept('knock', tenant, origin, roomId, eventId, body);
    const state = await this.reader.currentState(roomId);
    return { knock_room_state: state.filter((e) => STRIPPED_STATE_TYPES.includes(e.pdu.type)).map((e) => e.pdu) };
  }

  /**
   * A restricted join naming a member of this server in join_authorised_via_users_server gets this
   * server's signature (server-server-api "send_join": the resident server signs it and returns it
   * in `event`), once the joining user is found in an allowed room again: the joining server's word
   * alone must not let it name any member of ours.
   */
  private async vouchedFor(tenant: TenantConfig, roomId: string, pdu: Pdu): Promise<Pdu> {
    const via = pdu.content?.join_authorised_via_users_server;
    if (pdu.content?.membership !== 'join' || typeof via !== 'string' || serverNameOf(via) !== tenant.serverName)
      return pdu;
    const head = await loadRoomHead(this.db, roomId);
    const restricted =
      head && (await checkRestrictedJoin(head, pdu.sender, this.reader, (server) => server === tenant.serverName));
    if (!head || !restricted?.allowed)
      throw Errors.forbidden(`${pdu.sender} is in none of the rooms that grant access to ${roomId}`);
    return signEvent(head.version, pdu, tenant.serverName, await this.keyring.signingKey(tenant.serverName));
  }

  /**
   * Checks a signed membership event of the origin's user and has the
   * room-server persist it. send_knock's refusals are M_INVALID_PARAM, as
   * knocks.yaml asks; join and leave keep M_BAD_JSON.
   */
  private async accept(
    membership: Handshake,
    tenant: TenantConfig,
    origin: string,
    roomId: string,
    eventId: string,
    body: unknown,
  ): Promise<Pdu> {
    const pdu = body as Pdu;
    const invalid = membership === 'knock' ? Errors.invalidParam : Errors.badJson;
    const version = await this.reader.roomVersion(roomId);
    if (!version) throw Errors.notFound(`Room ${roomId} is not known to this server`);
    if (pdu?.type !== 'm.room.member' || pdu.content?.membership !== membership || pdu.state_key !== pdu.sender)
      throw invalid(`send_${membership} takes a ${membership} event of its sender`);
    if (serverNameOf(pdu.sender) !== origin)
      throw (membership === 'knock' ? invalid : Errors.forbidden)(
        `${origin} cannot send a ${membership} for ${pdu.sender}`,
      );
    if (pdu.room_id !== roomId) throw invalid('The event is for another room');
    const checked = await checkIncomingPdu(version, await this.vouchedFor(tenant, roomId, pdu), this.keys);
    if (!checked.ok) throw invalid(`The ${membership} event was refused: ${checked.reason}`);
    if (checked.eventId !== eventId) throw invalid(`The event's ID is ${checked.eventId}, not ${eventId}`);
    await this.rooms.submit({
      kind: 'federatedEvent',
      serverName: tenant.serverName,
      sender: pdu.sender,
      roomId,
      eventId,
      pdu: checked.pdu,
    });
    await this.passOn(tenant, origin, roomId, eventId, checked.pdu);
    return checked.pdu;
  }

  /**
   * "The resident server must also send the event to other servers participating in the room"
   * (server-server-api "Joining Rooms", "Leaving Rooms", "Knocking upon a room"): the federation
   * sender passes on only what our users send, so an accepted handshake event is queued here for
   * every other server in the room.
   */
  private async passOn(tenant: TenantConfig, origin: string, roomId: string, eventId: string, pdu: Pdu): Promise<void> {
    const destinations = (await this.reader.joinedServers(roomId)).filter(
      (server) => server !== origin && !this.tenants.isLocal(server),
    );
    if (destinations.length === 0) return;
    await queueOutbound(this.db, destinations, tenant.serverName, { pdu, eventId });
    await this.bus.publish('output.outbox', { destinations });
  }
}

/** The servers with a joined member in a state. */
function serversOf(state: Array<{ pdu: Pdu }>): string[] {
  return [
    ...new Set(
      state.flatMap(({ pdu }) =>
        pdu.type === 'm.room.member' && pdu.content.membership === 'join' ? (serverNameOf(pdu.state_key!) ?? []) : [],
      ),
    ),
  ];
}

/** Synapse answers the same for a room it holds only partially. */
function notFullyJoined(roomId: string): MatrixError {
  return Errors.notFound(`This server is still fetching the state of ${roomId}; join through another server`);
}
