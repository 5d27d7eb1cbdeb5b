import { Logger } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import {
  computeEventId,
  contentHashMatches,
  redactEvent,
  requiredSigners,
  signatureKeyIds,
  validateEventFormat,
  verifyEventSignatures,
  type Pdu,
  type RoomVersion,
} from '@lattice/protocol';
import type { ServerKeys } from '../keys/server-keys';

/** For the failures below that are deliberately gone past (see each one's message). */
const logger = new Logger('checkIncomingPdu');

export type IncomingPduCheck = { ok: true; eventId: string; pdu: Pdu } | { ok: false; reason: string };

/** Where checkIncomingPdu gets keys: ServerKeys, or a memo of it for a batch of events by few servers. */
export type VerifyKeySource = Pick<ServerKeys, 'publicKey'>;

/**
 * Remembers ServerKeys' answers for one batch (a send_join answer, a
 * transaction), so each key is looked up once, not once per event: a key
 * known valid until T serves every event sent before T.
 */
export function memoizedKeys(keys: Pick<ServerKeys, 'keyValidity'>): VerifyKeySource {
  const known = new Map<string, { key: KeyObject; validUntil: number } | undefined>();
  return {
    publicKey: async (server, keyId, validAt) => {
      const id = `${server} ${keyId}`;
      let entry = known.get(id);
      if (!entry || entry.validUntil < validAt) {
        entry = await keys.keyValidity(server, keyId, validAt).catch((e: unknown) => {
          logger.debug(
            `Validity of key ${keyId} of ${server} unknown; the signature counts as unverifiable: ${String(e)}`,
          );
          return undefined;
        });
        known.set(id, entry);
      }
      return entry && entry.validUntil >= validAt ? entry.key : undefined;
    },
  };
}

/**
 * The checks server-server-api "Checks performed on receipt of a PDU" puts
 * before authorization: a valid event of the room's version (steps 1),
 * signed by every server that must sign it with a key valid when it was sent
 * (2; keys fetched as needed), and a content hash that matches (3; if it does
 * not, the event goes on redacted). Authorization is the room-server's.
 */
export async function checkIncomingPdu(
  version: RoomVersion,
  pdu: Pdu,
  keys: VerifyKeySource,
): Promise<IncomingPduCheck> {
  const violation = validateEventFormat(version, pdu);
  if (violation) return { ok: false, reason: `${violation.field} ${violation.rule}` };
  // Room versions 1-4 ignore key validity (key_server's valid_until_ts "MUST be ignored").
  const validAt = version.enforceKeyValidity ? pdu.origin_server_ts : 0;
  const known = new Map<string, KeyObject>();
  for (const server of requiredSigners(version, pdu)) {
    for (const keyId of signatureKeyIds(pdu, server)) {
      const key = await keys
        .publicKey(server, keyId, validAt)
        .catch((e: unknown) =>
          logger.debug(`Key ${keyId} of ${server} not found; the signature counts as unverifiable: ${String(e)}`),
        );
      if (key) known.set(`${server} ${keyId}`, key);
    }
  }
  const signatures = verifyEventSignatures(version, pdu, (server, keyId) => {
    const key = known.get(`${server} ${keyId}`);
    return key && { key };
  });
  if (!signatures.ok) return { ok: false, reason: `signature of ${signatures.server}: ${signatures.reason}` };
  const checked = contentHashMatches(version, pdu) ? pdu : redactEvent(version, pdu);
  return { ok: true, eventId: computeEventId(version, pdu), pdu: checked };
}
