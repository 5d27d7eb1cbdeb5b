import { generateSigningKey, signJson, type JsonObject } from '@lattice/protocol';
import { checkKeyResponse } from './key-response';

const NOW = 1_700_000_000_000;
const DAY = 24 * 3600_000;
const key = generateSigningKey('current');

function response(extra: JsonObject = {}, signer = key): JsonObject {
  return signJson(
    {
      server_name: 'remote.example',
      valid_until_ts: NOW + DAY,
      verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } },
      old_verify_keys: {},
      ...extra,
    },
    'remote.example',
    signer,
  );
}

describe('checking a server key response (server-server-api "Publishing Keys")', () => {
  it('accepts a response signed by its verify key and returns the key', () => {
    expect(checkKeyResponse(response(), 'remote.example', NOW)).toEqual({
      keys: [{ keyId: key.keyId, publicKey: key.publicKeyBase64, validUntilTs: NOW + DAY }],
    });
  });

  it('caps the validity at seven days from now, whatever the server claims', () => {
    const checked = checkKeyResponse(response({ valid_until_ts: NOW + 365 * DAY }), 'remote.example', NOW);
    expect('keys' in checked && checked.keys[0].validUntilTs).toBe(NOW + 7 * DAY);
  });

  it('keeps old keys with the time they expired', () => {
    const old = generateSigningKey('old');
    const checked = checkKeyResponse(
      response({ old_verify_keys: { [old.keyId]: { key: old.publicKeyBase64, expired_ts: NOW - DAY } } }),
      'remote.example',
      NOW,
    );
    expect('keys' in checked && checked.keys[1]).toEqual({
      keyId: old.keyId,
      publicKey: old.publicKeyBase64,
      validUntilTs: NOW - DAY,
      expiredTs: NOW - DAY,
    });
  });

  it.each([
    ["another server's response", () => response(), 'other.example', /server_name/],
    [
      'a response not signed by its verify key',
      () => response({}, generateSigningKey('current')),
      'remote.example',
      /not signed by ed25519:current/,
    ],
    [
      'a response without verify keys',
      () => signJson({ server_name: 'remote.example', valid_until_ts: NOW, verify_keys: {} }, 'remote.example', key),
      'remote.example',
      /verify_keys is empty/,
    ],
    [
      'a response without valid_until_ts',
      () =>
        signJson(
          { server_name: 'remote.example', verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } } },
          'remote.example',
          key,
        ),
      'remote.example',
      /valid_until_ts/,
    ],
    [
      'a verify key that is not ed25519',
      () =>
        signJson(
          { server_name: 'remote.example', valid_until_ts: NOW, verify_keys: { [key.keyId]: { key: 'AAAA' } } },
          'remote.example',
          key,
        ),
      'remote.example',
      /not an ed25519 key|not signed/,
    ],
  ])('refuses %s', (_what, make, serverName, reason) => {
    const checked = checkKeyResponse(make(), serverName, NOW);
    expect('error' in checked && checked.error).toMatch(reason);
  });
});
