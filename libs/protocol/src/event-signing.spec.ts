import { generateKeyPairSync } from 'node:crypto';
import { decodeBase64 } from './base64';
import type { Pdu } from './events';
import { requiredSigners, signEvent, verifyEventSignatures } from './event-signing';
import { contentHashMatches } from './hashes';
import { getRoomVersion } from './room-versions';
import { generateSigningKey, signingKeyFromSeed } from './signing';

const specKey = signingKeyFromSeed('ed25519:1', decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1'));
const v1 = getRoomVersion('1');

/** appendices.md "Cryptographic Test Vectors" > "Event Signing" (v1-style events: origin is kept). */
describe('event signing: spec vectors', () => {
  it('hashes and signs the minimal event', () => {
    const event = {
      room_id: '!x:domain',
      sender: '@a:domain',
      origin: 'domain',
      origin_server_ts: 1000000,
      signatures: {},
      hashes: {},
      type: 'X',
      content: {},
      prev_events: [],
      auth_events: [],
      depth: 3,
      unsigned: { age_ts: 1000000 },
    } as unknown as Pdu;
    const signed = signEvent(v1, event, 'domain', specKey);
    expect(signed.hashes).toEqual({ sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' });
    expect(signed.signatures).toEqual({
      domain: { 'ed25519:1': 'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg' },
    });
    expect(signed.unsigned).toEqual({ age_ts: 1000000 });
  });

  it('hashes and signs an event with redactable content', () => {
    const event = {
      content: { body: 'Here is the message content' },
      event_id: '$0:domain',
      origin: 'domain',
      origin_server_ts: 1000000,
      type: 'm.room.message',
      room_id: '!r:domain',
      sender: '@u:domain',
      signatures: {},
      unsigned: { age_ts: 1000000 },
    } as unknown as Pdu;
    const signed = signEvent(v1, event, 'domain', specKey);
    expect(signed.hashes).toEqual({ sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g' });
    expect(signed.signatures).toEqual({
      domain: { 'ed25519:1': 'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA' },
    });
  });
});

describe('verifying event signatures', () => {
  const v12 = getRoomVersion('12');
  const key = generateSigningKey();
  const lookup = (server: string, keyId: string) =>
    server === 'a.example' && keyId === key.keyId ? { key: key.publicKey } : undefined;
  const message = (): Pdu => ({
    room_id: '!' + 'A'.repeat(43),
    sender: '@u:a.example',
    origin_server_ts: 1,
    type: 'm.room.message',
    content: { body: 'hi' },
    prev_events: [],
    auth_events: [],
    depth: 1,
    hashes: { sha256: '' },
    signatures: {},
  });

  it('accepts an event signed by the sender server', () => {
    expect(verifyEventSignatures(v12, signEvent(v12, message(), 'a.example', key), lookup)).toEqual({ ok: true });
  });

  it('still verifies after the content is redacted, while the content hash then mismatches', () => {
    const signed = signEvent(v12, message(), 'a.example', key);
    const tampered = { ...signed, content: { body: 'changed' } };
    expect(verifyEventSignatures(v12, tampered, lookup)).toEqual({ ok: true });
    expect(contentHashMatches(v12, tampered)).toBe(false);
    expect(contentHashMatches(v12, signed)).toBe(true);
  });

  it('rejects a forged signature', () => {
    const forger = generateSigningKey(key.keyId.slice('ed25519:'.length));
    const forged = signEvent(v12, message(), 'a.example', forger);
    expect(verifyEventSignatures(v12, forged, lookup)).toMatchObject({ ok: false, server: 'a.example' });
  });

  it('rejects an event with no signature by a known key', () => {
    const other = generateSigningKey();
    expect(verifyEventSignatures(v12, signEvent(v12, message(), 'a.example', other), lookup)).toMatchObject({
      ok: false,
    });
  });

  it('ignores keys that expired before the event was sent (v5+)', () => {
    const expired = (server: string, keyId: string) =>
      lookup(server, keyId) ? { key: key.publicKey, validUntilTs: 0 } : undefined;
    expect(verifyEventSignatures(v12, signEvent(v12, message(), 'a.example', key), expired)).toMatchObject({
      ok: false,
    });
    expect(
      verifyEventSignatures(
        getRoomVersion('4'),
        { ...signEvent(getRoomVersion('4'), message(), 'a.example', key) },
        expired,
      ),
    ).toEqual({ ok: true });
  });

  it('requires the authorising server of a restricted join (v8+) and the event ID domain (v1/v2)', () => {
    const join = {
      ...message(),
      type: 'm.room.member',
      state_key: '@u:a.example',
      content: { membership: 'join', join_authorised_via_users_server: '@x:b.example' },
    };
    expect(requiredSigners(getRoomVersion('9'), join)).toEqual(['a.example', 'b.example']);
    expect(requiredSigners(getRoomVersion('7'), join)).toEqual(['a.example']);
    expect(requiredSigners(v1, { ...message(), event_id: '$e:c.example' })).toEqual(['a.example', 'c.example']);
  });

  it('rejects a signature checked against a different key with the same key ID', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const signed = signEvent(v12, message(), 'a.example', key);
    expect(verifyEventSignatures(v12, signed, () => ({ key: publicKey }))).toMatchObject({ ok: false });
  });
});
