import type { Bus } from '@lattice/bus';
import type { Pdu } from '@lattice/protocol';
import type { PositionCache } from '@lattice/storage';

/**
 * An invite, knock or leave of a room this server is not in (an out-of-band membership, recorded at an
 * `events` position of its own) reaches /sync and every other consumer as room output does.
 */
export async function announceOutOfBandMembership(
  positions: PositionCache,
  bus: Bus,
  pdu: Pdu,
  eventId: string,
  streamPos: bigint,
): Promise<void> {
  await positions.advance('events', streamPos);
  await bus.publish('output.room', {
    roomId: pdu.room_id!,
    eventId,
    streamPos: streamPos.toString(),
    pdu,
    membershipOf: pdu.state_key!,
  });
}
