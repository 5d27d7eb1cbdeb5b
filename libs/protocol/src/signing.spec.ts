import nacl from 'tweetnacl';
import { decodeBase64, encodeBase64 } from './base64';
import { canonicalJsonBytes } from './canonical-json';
import type { JsonObject } from './events';
import { generateSigningKey, isValidKeyId, signingKeyFromSeed, signJson, verifyJsonSignature } from './signing';

/** appendices.md "Cryptographic Test Vectors" > "Signing Key". */
const SEED = decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1');
const specKey = signingKeyFromSeed('ed25519:1', SEED);

describe('signing JSON: spec vectors', () => {
  it('signs an empty object', () => {
    expect(signJson({}, 'domain', specKey)).toEqual({
      signatures: {
        domain: {
          'ed25519:1': 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ',
        },
      },
    });
  });

  it('signs an object with data', () => {
    expect((signJson({ one: 1, two: 'Two' } as JsonObject, 'domain', specKey) as JsonObject).signatures).toEqual({
      domain: { 'ed25519:1': 'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw' },
    });
  });
});

describe('signing JSON', () => {
  const key = generateSigningKey();

  it('verifies its own signatures', () => {
    const signed = signJson({ a: 1 }, 'example.org', key);
    expect(verifyJsonSignature(signed, 'example.org', key.keyId, key.publicKey)).toBe(true);
  });

  it('ignores unsigned and keeps other signatures', () => {
    const other = generateSigningKey();
    const once = signJson({ a: 1, unsigned: { age: 5 } }, 'one.example', key);
    const twice = signJson({ ...once, unsigned: { age: 99 } }, 'two.example', other);
    expect(verifyJsonSignature(twice, 'one.example', key.keyId, key.publicKey)).toBe(true);
    expect(verifyJsonSignature(twice, 'two.example', other.keyId, other.publicKey)).toBe(true);
    expect(twice.unsigned).toEqual({ age: 99 });
  });

  it('rejects a modified object, a missing signature and bad base64', () => {
    const signed = signJson({ a: 1 }, 'example.org', key);
    expect(verifyJsonSignature({ ...signed, a: 2 }, 'example.org', key.keyId, key.publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, 'other.org', key.keyId, key.publicKey)).toBe(false);
    expect(
      verifyJsonSignature(
        { ...signed, signatures: { 'example.org': { [key.keyId]: '!!' } } },
        'example.org',
        key.keyId,
        key.publicKey,
      ),
    ).toBe(false);
  });

  it('validates key IDs', () => {
    expect(isValidKeyId('ed25519:a_1')).toBe(true);
    expect(isValidKeyId('ed25519:')).toBe(false);
    expect(isValidKeyId('curve25519:x')).toBe(false);
  });
});

describe('agreement with tweetnacl (an independent implementation)', () => {
  const objects: JsonObject[] = [
    {},
    { one: 1, two: 'Two' },
    { nested: { list: [1, 'two', null, true] }, text: '日本語' },
  ];

  it.each(objects)('tweetnacl verifies our signature of %j', (object) => {
    const key = generateSigningKey();
    const signature = (signJson(object, 's', key).signatures as Record<string, Record<string, string>>).s[key.keyId];
    const naclPublic = nacl.sign.keyPair.fromSeed(key.seed).publicKey;
    expect(encodeBase64(naclPublic)).toBe(key.publicKeyBase64);
    expect(nacl.sign.detached.verify(canonicalJsonBytes(object), decodeBase64(signature), naclPublic)).toBe(true);
  });

  it.each(objects)('we verify tweetnacl signatures of %j', (object) => {
    const pair = nacl.sign.keyPair.fromSeed(nacl.randomBytes(32));
    const signature = encodeBase64(nacl.sign.detached(canonicalJsonBytes(object), pair.secretKey));
    const key = signingKeyFromSeed('ed25519:n', pair.secretKey.subarray(0, 32));
    const signed = { ...object, signatures: { s: { 'ed25519:n': signature } } };
    expect(verifyJsonSignature(signed, 's', 'ed25519:n', key.publicKey)).toBe(true);
  });
});
