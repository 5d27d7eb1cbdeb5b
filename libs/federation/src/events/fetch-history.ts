import { Logger } from '@nestjs/common';
import { isEventOfRoom, type Pdu, type RoomVersion } from '@lattice/protocol';
import type { FederationClient } from '../client/federation-client';
import type { ServerKeys } from '../keys/server-keys';
import { checkIncomingPdu, memoizedKeys } from './check-incoming-pdu';

/** For the failures below that are deliberately gone past (see each one's message). */
const logger = new Logger('fetchHistory');

/** server-server-api /backfill: the most events one request asks for. */
const MAX_BACKFILL = 100;

/**
 * Asks the room's other servers, one after another until one answers with
 * events, for the history before `from` (GET /backfill, server-server-api
 * "Backfilling and retrieving missing events"). Each event is checked as
 * any PDU (format, signatures, content hash); ones that fail are left out,
 * as are events of other rooms. Authorisation is the room-server's.
 */
export async function fetchHistory(
  client: FederationClient,
  keys: ServerKeys,
  request: { origin: string; servers: string[]; roomId: string; version: RoomVersion; from: string[]; limit: number },
): Promise<Array<{ eventId: string; pdu: Pdu }>> {
  const query = [
    ...request.from.map((id) => `v=${encodeURIComponent(id)}`),
    `limit=${Math.min(Math.max(request.limit, 1), MAX_BACKFILL)}`,
  ].join('&');
  const verifyKeys = memoizedKeys(keys);
  for (const server of request.servers) {
    const answer = await client
      .request<{ pdus?: unknown }>(
        request.origin,
        server,
        'GET',
        `/_matrix/federation/v1/backfill/${encodeURIComponent(request.roomId)}?${query}`,
      )
      .catch((e: unknown) =>
        logger.debug(`/backfill of ${request.roomId} from ${server} failed; the next server is asked: ${String(e)}`),
      );
    if (!answer || !Array.isArray(answer.pdus)) continue;
    const checked: Array<{ eventId: string; pdu: Pdu }> = [];
    for (const pdu of answer.pdus as Pdu[]) {
      if (!isEventOfRoom(request.version, pdu, request.roomId)) continue;
      const result = await checkIncomingPdu(request.version, pdu, verifyKeys);
      if (result.ok) checked.push({ eventId: result.eventId, pdu: result.pdu });
    }
    if (checked.length) return checked;
  }
  return [];
}
