import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import type { JsonObject, Pdu } from '@lattice/protocol';
import {
  allocateStreamPositions,
  PRISMA,
  POSITION_CACHE,
  type PrismaClient,
  type PositionCache,
} from '@lattice/storage';
import { announceOutOfBandMembership } from './out-of-band-membership';

/** A knock waiting for an answer: the server it went through, and the room's version. */
export interface PendingKnock {
  server: string;
  roomVersion: string;
}

/**
 * Knocks of our users on rooms this server is not in (the room's DAG lives
 * elsewhere): kept for /sync's rooms.knock, each change at a new position
 * of the room-events stream so an incremental /sync sees it once.
 */
@Injectable()
export class RemoteKnocks {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  /** `server` took the knock; `knockState` is what the user may see of the room. */
  async knocked(
    server: string,
    roomVersion: string,
    pdu: Pdu,
    eventId: string,
    knockState: JsonObject[],
  ): Promise<void> {
    await this.record({ server, roomVersion }, pdu, eventId, 'knock', [
      ...knockState,
      { type: pdu.type, state_key: pdu.state_key!, sender: pdu.sender, content: pdu.content },
    ]);
  }

  /** The knock ended with a leave (the user retracted it, or the room rejected it): shown once in rooms.leave. */
  async left(knock: PendingKnock, pdu: Pdu, eventId: string): Promise<void> {
    await this.record(knock, pdu, eventId, 'leave', []);
  }

  /** The user's pending knock on the room, if there is one: the server it went through and the room's version. */
  async pending(roomId: string, userId: string): Promise<PendingKnock | undefined> {
    const knock = await this.db.remoteKnock.findUnique({ where: { roomId_userId: { roomId, userId } } });
    return knock?.membership === 'knock' ? { server: knock.server, roomVersion: knock.roomVersion } : undefined;
  }

  private async record(
    knock: PendingKnock,
    pdu: Pdu,
    eventId: string,
    membership: 'knock' | 'leave',
    knockState: JsonObject[],
  ): Promise<void> {
    const roomId = pdu.room_id!;
    const userId = pdu.state_key!;
    const streamPos = await this.db.$transaction(async (tx) => {
      const position = await allocateStreamPositions(tx, 'events', 1);
      const data = {
        eventId,
        membership,
        server: knock.server,
        roomVersion: knock.roomVersion,
        knockState: JSON.stringify(knockState),
        streamPos: position,
      };
      await tx.remoteKnock.upsert({
        where: { roomId_userId: { roomId, userId } },
        create: { roomId, userId, ...data },
        update: data,
      });
      return position;
    });
    await announceOutOfBandMembership(this.positions, this.bus, pdu, eventId, streamPos);
  }
}
