import type { KeyObject } from 'node:crypto';
import type { AnyObject, Pdu } from './events';
import { withContentHash } from './hashes';
import { serverNameOf } from './identifiers';
import { redactEvent } from './redaction';
import type { RoomVersion } from './room-versions';
import { signatureKeyIds, signJson, SigningKey, verifyJsonSignature } from './signing';

/**
 * Hashes and signs an event as `serverName` (server-server-api "Signing
 * events"): the content hash covers the full event; the signature covers the
 * redacted event, so it still verifies after a redaction.
 */
export function signEvent<T extends Pdu>(version: RoomVersion, event: T, serverName: string, key: SigningKey): T {
  const hashed = withContentHash(version, event);
  const signed = signJson(redactEvent(version, hashed), serverName, key, version.strictCanonicalJson);
  return { ...hashed, signatures: signed.signatures };
}

/**
 * Servers whose signature an event needs (server-server-api "Validating
 * hashes and signatures on received events"): the sender's server; in v1/v2
 * also the event ID's domain; for a restricted join (v8+) also the server of
 * the user in join_authorised_via_users_server (rooms/v8.md auth rule 4.3.2).
 */
export function requiredSigners(version: RoomVersion, event: Pdu): string[] {
  const signers = new Set<string>();
  const add = (id: unknown) => {
    const server = typeof id === 'string' ? serverNameOf(id) : undefined;
    if (server) signers.add(server);
  };
  add(event.sender);
  if (version.eventIdFormat === 'origin') add(event.event_id);
  if (version.restrictedJoins && event.type === 'm.room.member' && event.content.membership === 'join') {
    add(event.content.join_authorised_via_users_server);
  }
  return [...signers];
}

/** A server's verify key as the key fetcher knows it. */
export interface KnownVerifyKey {
  key: KeyObject;
  /** Absent for keys with no expiry known (e.g. our own). */
  validUntilTs?: number;
}

/** Finds a server's verify key by key ID; undefined for keys not (yet) known. */
export type VerifyKeyLookup = (serverName: string, keyId: string) => KnownVerifyKey | undefined;

export type SignatureCheck = { ok: true } | { ok: false; server: string; reason: string };

/**
 * Verifies the signatures an event needs. Signatures by unknown keys are
 * skipped, but each required server must have at least one signature by a
 * known key, and every such signature must verify. In v5+ a key only counts
 * if it was valid when the event was sent (rooms/v5.md).
 */
export function verifyEventSignatures(version: RoomVersion, event: Pdu, lookup: VerifyKeyLookup): SignatureCheck {
  const redacted = redactEvent(version, event) as AnyObject;
  for (const server of requiredSigners(version, event)) {
    let verified = 0;
    for (const keyId of signatureKeyIds(event, server)) {
      const known = lookup(server, keyId);
      if (!known) continue;
      if (version.enforceKeyValidity && known.validUntilTs !== undefined && known.validUntilTs < event.origin_server_ts)
        continue;
      if (!verifyJsonSignature(redacted, server, keyId, known.key, version.strictCanonicalJson)) {
        return { ok: false, server, reason: `signature by ${keyId} does not verify` };
      }
      verified++;
    }
    if (verified === 0) return { ok: false, server, reason: 'no signature by a known, valid key' };
  }
  return { ok: true };
}
