import { Body, Controller, Inject, Param, Put, UseGuards } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import type { TenantConfig } from '@lattice/config';
import { checkIncomingPdu, ServerKeys } from '@lattice/federation';
import { Errors, MatrixError, Public, Tenant } from '@lattice/http';
import { findRoomVersion, serverNameOf, signEvent, type Pdu } from '@lattice/protocol';
import { Keyring, FEDERATION_ROOM_READS, type FederationRoomReads } from '@lattice/rooms';
import {
  allocateStreamPositions,
  PRISMA,
  POSITION_CACHE,
  type PrismaClient,
  type PositionCache,
} from '@lattice/storage';
import { FederationAuthGuard, Origin } from '../auth/federation-auth.guard';
import { ServerAclGuard } from '../auth/server-acl.guard';

/**
 * Invites of our users by other servers (server-server-api "Inviting to a
 * room", v2): the invite is checked, countersigned with this tenant's key
 * and returned. If this server is not in the room, the invite is kept (with
 * the stripped state the inviter sent) for the user's /sync until they join.
 */
@Controller('_matrix/federation/v2/invite')
@UseGuards(FederationAuthGuard, ServerAclGuard)
export class InvitesController {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    private readonly keys: ServerKeys,
    private readonly keyring: Keyring,
    @Inject(FEDERATION_ROOM_READS) private readonly reader: FederationRoomReads,
  ) {}

  @Put(':roomId/:eventId')
  @Public()
  async invite(
    @Tenant() tenant: TenantConfig,
    @Origin() origin: string,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Body() body: unknown,
  ) {
    const request = body as { room_version?: unknown; event?: Pdu; invite_room_state?: unknown };
    const version = typeof request?.room_version === 'string' ? findRoomVersion(request.room_version) : undefined;
    if (!version)
      throw new MatrixError(
        400,
        'M_INCOMPATIBLE_ROOM_VERSION',
        `Room version ${String(request?.room_version)} is not supported here`,
        { room_version: request?.room_version },
      );
    const pdu = request.event;
    if (pdu?.type !== 'm.room.member' || pdu.content?.membership !== 'invite' || typeof pdu.state_key !== 'string')
      throw Errors.badJson('The event is not an invite');
    if (serverNameOf(pdu.state_key) !== tenant.serverName)
      throw Errors.badJson(`${pdu.state_key} is not a user of ${tenant.serverName}`);
    if (serverNameOf(pdu.sender) !== origin)
      throw Errors.forbidden(`${origin} cannot send an invite from ${pdu.sender}`);
    if (pdu.room_id !== roomId) throw Errors.badJson('The event is for another room');
    const checked = await checkIncomingPdu(version, pdu, this.keys);
    if (!checked.ok) throw Errors.forbidden(`The invite was refused: ${checked.reason}`);
    if (checked.eventId !== eventId) throw Errors.badJson(`The event's ID is ${checked.eventId}, not ${eventId}`);

    const signed = signEvent(version, checked.pdu, tenant.serverName, await this.keyring.signingKey(tenant.serverName));
    // In the room already: the inviter sends the event in a transaction too, and it lands in the DAG like any other.
    if (!(await this.reader.roomVersion(roomId)))
      await this.keep(
        roomId,
        eventId,
        signed,
        Array.isArray(request.invite_room_state) ? request.invite_room_state : [],
      );
    return { event: signed };
  }

  private async keep(roomId: string, eventId: string, pdu: Pdu, inviteRoomState: unknown[]): Promise<void> {
    const userId = pdu.state_key!;
    const streamPos = await this.db.$transaction(async (tx) => {
      const position = await allocateStreamPositions(tx, 'events', 1);
      const data = {
        eventId,
        event: JSON.stringify(pdu),
        inviteRoomState: JSON.stringify(inviteRoomState),
        streamPos: position,
      };
      await tx.remoteInvite.upsert({
        where: { roomId_userId: { roomId, userId } },
        create: { roomId, userId, ...data },
        update: data,
      });
      // An invite is how a knock is accepted (server-server-api "Inviting to a room"): the room leaves rooms.knock.
      await tx.remoteKnock.deleteMany({ where: { roomId, userId } });
      return position;
    });
    await this.positions.advance('events', streamPos);
    await this.bus.publish('output.room', {
      roomId,
      eventId,
      streamPos: streamPos.toString(),
      pdu,
      membershipOf: userId,
    });
  }
}
