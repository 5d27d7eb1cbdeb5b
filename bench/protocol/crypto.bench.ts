import {
  canonicalJson,
  contentHashMatches,
  generateSigningKey,
  getRoomVersion,
  signEvent,
  signJson,
  verifyEventSignatures,
  verifyJsonSignature,
  type Pdu,
} from '@lattice/protocol';
import { medianMs, opsPerSecond } from '../measure';

/** A realistic ~400-byte message event. */
function message(i: number): Pdu {
  return {
    room_id: '!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ',
    sender: '@alice:example.org',
    type: 'm.room.message',
    content: { msgtype: 'm.text', body: `Message number ${i}: the quick brown fox jumps over the lazy dog` },
    origin_server_ts: 1_700_000_000_000 + i,
    depth: 100 + i,
    prev_events: ['$Zx0tSBQh9OUT6gQwpq1eBhFd9oEe8u8XRXJM3n1nYeM'],
    auth_events: [
      '$aJ3jbGWs5AMlq28PCQw7XeMsN4R-xj4pRMUyf8L2AyU',
      '$3VYGRzmV1m6SlyDYXP_mzqXI6QNDBFSo3XKW5NaIVHg',
      '$LzEa3yPv2Xq6fPAfB4h0K0xYbc7nG9kdkRkzvNPVJHo',
    ],
    hashes: { sha256: '' },
    signatures: {},
  };
}

export async function run(): Promise<Record<string, number>> {
  const version = getRoomVersion('12');
  const key = generateSigningKey();
  const event = signEvent(version, message(0), 'example.org', key);
  const signedObject = signJson({ ...event }, 'example.org', key);

  const events = Array.from({ length: 10_000 }, (_, i) => signEvent(version, message(i), 'example.org', key));
  const lookup = () => ({ key: key.publicKey });
  const verifyAll = () => {
    for (const e of events) {
      if (!verifyEventSignatures(version, e, lookup).ok || !contentHashMatches(version, e))
        throw new Error('verification failed');
    }
  };

  return {
    'canonical JSON encodes/s (400-byte event)': opsPerSecond(() => canonicalJson(event)),
    'ed25519 JSON signs/s': opsPerSecond(() => signJson(message(1), 'example.org', key)),
    'ed25519 JSON verifies/s': opsPerSecond(() =>
      verifyJsonSignature(signedObject, 'example.org', key.keyId, key.publicKey),
    ),
    'verify 10,000 events (signature + content hash), ms': medianMs(verifyAll, 3),
  };
}
