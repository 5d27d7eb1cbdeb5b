import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import type { Pdu } from '@lattice/protocol';
import {
  allocateStreamPositions,
  PRISMA,
  POSITION_CACHE,
  type PrismaClient,
  type PositionCache,
} from '@lattice/storage';
import { announceOutOfBandMembership } from './out-of-band-membership';

/** An invite from another server still waiting for the user's answer. */
export interface PendingInvite {
  eventId: string;
  pdu: Pdu;
  /** The room's version as the inviting server said; undefined for invites kept before it was recorded. */
  roomVersion?: string;
}

/**
 * Invites of our users to rooms this server is not in (the room's DAG lives
 * elsewhere, or only stale state of it is here): kept for /sync, each
 * change at a new position of the room-events stream so an incremental
 * /sync sees it once. An invite ends with a leave that this server learns
 * of without being in the room (declined through make_leave/send_leave,
 * declined locally when no server answers, or rescinded by the inviter):
 * an out-of-band membership, shown once in rooms.leave with that event.
 */
@Injectable()
export class RemoteInvites {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  /** Keeps an invite (signed by both servers) with the stripped state the inviter sent. */
  async invited(roomVersion: string, pdu: Pdu, eventId: string, inviteRoomState: unknown[]): Promise<void> {
    await this.record(pdu, eventId, 'invite', roomVersion, JSON.stringify(inviteRoomState));
  }

  /** The invite ended with this leave event: the room moves to the user's rooms.leave. */
  async left(pdu: Pdu, eventId: string): Promise<void> {
    await this.record(pdu, eventId, 'leave');
  }

  /** The user's invite to the room that waits for an answer, if there is one. */
  async pending(roomId: string, userId: string): Promise<PendingInvite | undefined> {
    const invite = await this.db.remoteInvite.findUnique({ where: { roomId_userId: { roomId, userId } } });
    if (invite?.membership !== 'invite') return undefined;
    return {
      eventId: invite.eventId,
      pdu: JSON.parse(invite.event) as Pdu,
      ...(invite.roomVersion ? { roomVersion: invite.roomVersion } : {}),
    };
  }

  private async record(
    pdu: Pdu,
    eventId: string,
    membership: 'invite' | 'leave',
    roomVersion?: string,
    inviteRoomState?: string,
  ): Promise<void> {
    const roomId = pdu.room_id!;
    const userId = pdu.state_key!;
    const streamPos = await this.db.$transaction(async (tx) => {
      const position = await allocateStreamPositions(tx, 'events', 1);
      const data = { eventId, membership, event: JSON.stringify(pdu), streamPos: position };
      await tx.remoteInvite.upsert({
        where: { roomId_userId: { roomId, userId } },
        create: { roomId, userId, ...data, roomVersion, inviteRoomState: inviteRoomState ?? '[]' },
        update: { ...data, ...(roomVersion ? { roomVersion } : {}), ...(inviteRoomState ? { inviteRoomState } : {}) },
      });
      // An invite is how a knock is accepted (server-server-api "Inviting to a room"): the room leaves rooms.knock.
      if (membership === 'invite') await tx.remoteKnock.deleteMany({ where: { roomId, userId } });
      return position;
    });
    await announceOutOfBandMembership(this.positions, this.bus, pdu, eventId, streamPos);
  }
}
