import { Body, Controller, Inject, Param, Put, UseGuards } from '@nestjs/common';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { checkIncomingPdu, ServerKeys } from '@lattice/federation';
import { Errors, MatrixError, Public, Tenant } from '@lattice/http';
import { findRoomVersion, serverNameOf, signEvent, type Pdu } from '@lattice/protocol';
import { FEDERATION_ROOM_READS, isResident, Keyring, RemoteInvites, type FederationRoomReads } from '@lattice/rooms';
import { FederationAuthGuard, Origin } from '../auth/federation-auth.guard';
import { ServerAclGuard } from '../auth/server-acl.guard';

/**
 * Invites of our users by other servers (server-server-api "Inviting to a
 * room", v2): the invite is checked, countersigned with this tenant's key
 * and returned. If this server is not in the room, the invite is kept (with
 * the stripped state the inviter sent) for the user's /sync until they join
 * or it ends with a leave (RemoteInvites).
 */
@Controller('_matrix/federation/v2/invite')
@UseGuards(FederationAuthGuard, ServerAclGuard)
export class InvitesController {
  constructor(
    private readonly keys: ServerKeys,
    private readonly invites: RemoteInvites,
    private readonly tenants: TenantDirectory,
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
    // In the room: the inviter sends the event in a transaction too, and it lands in the DAG like any other. A room
    // this server only knows old state of (its users all left) gets no transaction: the invite is kept apart.
    if (!(await isResident(this.reader, this.tenants, roomId)))
      await this.invites.invited(
        version.id,
        signed,
        eventId,
        Array.isArray(request.invite_room_state) ? request.invite_room_state : [],
      );
    return { event: signed };
  }
}
