import { Injectable } from '@nestjs/common';
import type { TenantConfig } from '@lattice/config';
import { FederationClient, FederationError, inviteRemoteUser, ServerKeys } from '@lattice/federation';
import { Errors, MatrixError } from '@lattice/http';
import { checkEventAuth, stateKey, strippedStateEvents, type JsonObject } from '@lattice/protocol';
import { buildEvent, Keyring, loadRoomHead, membershipTemplate, RoomInputClient } from '@lattice/rooms';
import { StorageAccess } from '../storage-access';

/**
 * Invites a user of another server (server-server-api "Inviting to a
 * room"): the invite is built on the room's head, countersigned by the
 * invitee's server through /invite, then persisted like an event from
 * another server. Used by /invite and by /createRoom's `invite` list.
 */
@Injectable()
export class RemoteInviter {
  constructor(
    private readonly rooms: RoomInputClient,
    private readonly storage: StorageAccess,
    private readonly federation: FederationClient,
    private readonly keys: ServerKeys,
    private readonly keyring: Keyring,
  ) {}

  async invite(
    inviter: string,
    tenant: TenantConfig,
    roomId: string,
    invitee: string,
    server: string,
    reason?: string,
    content: JsonObject = {},
  ): Promise<void> {
    const head = await loadRoomHead(this.storage.db, roomId);
    if (!head) throw Errors.notFound(`Room ${roomId} is not known to this server`);
    const event = buildEvent(
      head,
      inviter,
      membershipTemplate('invite', invitee, reason, content),
      tenant.serverName,
      await this.keyring.signingKey(tenant.serverName),
    );
    const decision = checkEventAuth(head.version, event.pdu, (type, key) => head.state.get(stateKey(type, key))?.pdu);
    if (!decision.allowed) throw Errors.forbidden(`${decision.reason} (auth rule ${decision.rule})`);
    // Whole events, as the room version formats them (server-server-api invite_room_state, v1.16): the
    // invitee's server may refuse an invite whose m.room.create is missing or stripped.
    const stripped = strippedStateEvents([...head.state.values()].map((e) => e.pdu)) as unknown as JsonObject[];
    const signed = await inviteRemoteUser(
      this.federation,
      this.keys,
      tenant.serverName,
      { serverName: server },
      head.version,
      event,
      stripped,
    ).catch((e: Error) => {
      const refused = e instanceof FederationError && e.status === 403;
      throw new MatrixError(
        refused ? 403 : 502,
        refused ? 'M_FORBIDDEN' : 'M_UNKNOWN',
        `${server} did not accept the invite: ${e.message}`,
      );
    });
    await this.rooms.submit({
      kind: 'federatedEvent',
      serverName: tenant.serverName,
      sender: inviter,
      roomId,
      eventId: event.eventId,
      pdu: signed,
    });
  }
}
