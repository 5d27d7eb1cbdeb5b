import type { JsonObject, Pdu, RoomVersion, SigningKey, StrippedStateEvent } from '@lattice/protocol';
import type { FederationClient } from '../client/federation-client';
import { checkIncomingPdu, memoizedKeys } from '../events/check-incoming-pdu';
import type { ServerKeys } from '../keys/server-keys';
import { makeMembershipTemplate, RemoteMembershipError } from './make-template';
import { signMembershipTemplate } from './sign-template';

/** A knock made through another server: the event as sent, and what the knocker may see of the room. */
export interface RemoteKnock {
  /** The resident server that took the knock. */
  server: string;
  version: RoomVersion;
  eventId: string;
  pdu: Pdu;
  /** The resident's knock_room_state as stripped state (client-server-api "Stripped state"). */
  knockRoomState: StrippedStateEvent[];
}

/**
 * Knocks on a room this server is not in through servers that are
 * (server-server-api "Knocking upon a room"): make_knock for a template,
 * our signature, send_knock. A refusal by the room (403) or an unsupported
 * version (400) ends the attempt; other failures try the next server.
 */
export async function knockThrough(
  client: FederationClient,
  keys: ServerKeys,
  key: SigningKey,
  origin: string,
  servers: string[],
  userId: string,
  roomId: string,
  content: JsonObject,
): Promise<RemoteKnock> {
  let lastError: Error = new RemoteMembershipError(404, 'M_NOT_FOUND', `No server to knock on ${roomId} through`);
  for (const server of servers) {
    try {
      const { version, template } = await makeMembershipTemplate(client, origin, server, 'knock', roomId, userId);
      const { eventId, pdu } = signMembershipTemplate(version, template, 'knock', content, origin, key);
      const answer = await client.request<{ knock_room_state?: unknown }>(
        origin,
        server,
        'PUT',
        `/_matrix/federation/v1/send_knock/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
        pdu as unknown as JsonObject,
      );
      return {
        server,
        version,
        eventId,
        pdu,
        knockRoomState: await trustedStrippedState(version, answer.knock_room_state, keys),
      };
    } catch (e) {
      lastError = e as Error;
      if (e instanceof RemoteMembershipError && (e.status === 403 || e.status === 400)) break;
    }
  }
  throw lastError;
}

/**
 * knock_room_state as the knocker's client sees it: entries that carry
 * signatures must verify, or they are left out (knocks.yaml: "Entries which
 * are improperly signed ... SHOULD be removed"); entries already stripped
 * (servers from before v1.16 send those) are kept, as the spec's migration
 * note allows for invite_room_state.
 */
async function trustedStrippedState(
  version: RoomVersion,
  entries: unknown,
  keys: ServerKeys,
): Promise<StrippedStateEvent[]> {
  const verified: StrippedStateEvent[] = [];
  const memo = memoizedKeys(keys);
  for (const entry of Array.isArray(entries) ? (entries as Pdu[]) : []) {
    if (
      typeof entry?.type !== 'string' ||
      typeof entry.state_key !== 'string' ||
      typeof entry.sender !== 'string' ||
      typeof entry.content !== 'object' ||
      entry.content === null
    )
      continue;
    if (entry.signatures !== undefined && !(await checkIncomingPdu(version, entry, memo)).ok) continue;
    verified.push({ type: entry.type, state_key: entry.state_key, sender: entry.sender, content: entry.content });
  }
  return verified;
}
