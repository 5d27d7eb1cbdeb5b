import nacl from 'tweetnacl';
import { decodeBase64 } from '../base64';
import { canonicalJsonBytes } from '../canonical-json';
import { generateSigningKey } from '../signing';
import { authorizationHeader, parseAuthorizationHeader, verifyRequestSignature, type SignedRequest } from './x-matrix';

const key = generateSigningKey('k1');
const request: SignedRequest = {
  method: 'PUT',
  uri: '/_matrix/federation/v1/send/txn1?x=1',
  origin: 'origin.example',
  destination: 'destination.example',
  content: { pdus: [], edus: [] },
};

describe('X-Matrix request authentication', () => {
  it('writes the header the way the spec asks senders to', () => {
    expect(authorizationHeader(request, key)).toMatch(
      /^X-Matrix origin="origin\.example",destination="destination\.example",key="ed25519:k1",sig="[A-Za-z0-9+/]+"$/,
    );
  });

  it('verifies a signature it made, and reads back every parameter', () => {
    const auth = parseAuthorizationHeader(authorizationHeader(request, key))!;
    expect(auth).toMatchObject({ origin: 'origin.example', destination: 'destination.example', key: 'ed25519:k1' });
    expect(verifyRequestSignature(auth, request, key.publicKey)).toBe(true);
  });

  it("signs the spec's JSON object, as an independent ed25519 implementation checks", () => {
    const auth = parseAuthorizationHeader(authorizationHeader(request, key))!;
    const naclPublic = nacl.sign.keyPair.fromSeed(key.seed).publicKey;
    const bytes = canonicalJsonBytes({
      method: 'PUT',
      uri: request.uri,
      origin: 'origin.example',
      destination: 'destination.example',
      content: request.content!,
    });
    expect(nacl.sign.detached.verify(bytes, decodeBase64(auth.sig), naclPublic)).toBe(true);
  });

  it.each([
    ['another destination', { destination: 'elsewhere.example' }],
    ['another method', { method: 'POST' }],
    ['another path', { uri: '/_matrix/federation/v1/send/txn2' }],
    ['another body', { content: { pdus: [{}], edus: [] } }],
    ['no body', { content: undefined }],
  ])('rejects the signature for %s', (_what, change) => {
    const auth = parseAuthorizationHeader(authorizationHeader(request, key))!;
    expect(verifyRequestSignature(auth, { ...request, ...change }, key.publicKey)).toBe(false);
  });

  it('rejects a signature made by another key', () => {
    const auth = parseAuthorizationHeader(authorizationHeader(request, generateSigningKey('k1')))!;
    expect(verifyRequestSignature(auth, request, key.publicKey)).toBe(false);
  });

  it('rejects a request whose body has no canonical JSON form, without throwing', () => {
    const auth = parseAuthorizationHeader(authorizationHeader(request, key))!;
    expect(verifyRequestSignature(auth, { ...request, content: { limit: 1.5 } }, key.publicKey)).toBe(false);
  });

  describe('parsing (RFC 9110 auth-params as the spec profiles them)', () => {
    it('accepts any case of names, spaces and tabs around commas, and bare tokens', () => {
      expect(parseAuthorizationHeader('X-Matrix  ORIGIN=o.example ,\tKey="ed25519:a" , sig=abc')).toEqual({
        origin: 'o.example',
        key: 'ed25519:a',
        sig: 'abc',
      });
    });

    it('accepts bare values with colons, as old servers send them', () => {
      expect(parseAuthorizationHeader('X-Matrix origin=o.example:8448,key=ed25519:a,sig=abc')).toEqual({
        origin: 'o.example:8448',
        key: 'ed25519:a',
        sig: 'abc',
      });
    });

    it('unescapes backslash pairs in quoted values and ignores unknown parameters', () => {
      expect(parseAuthorizationHeader('X-Matrix origin="o\\.example",key="ed25519:a",sig="s",future="x"')).toEqual({
        origin: 'o.example',
        key: 'ed25519:a',
        sig: 's',
      });
    });

    it('keeps the destination only when the header names it (servers before spec v1.3 omit it)', () => {
      expect(parseAuthorizationHeader('X-Matrix origin=o,destination=d,key=ed25519:a,sig=s')?.destination).toBe('d');
      expect(parseAuthorizationHeader('X-Matrix origin=o,key=ed25519:a,sig=s')).not.toHaveProperty('destination');
    });

    it.each([
      ['another scheme', 'Bearer abc'],
      ['no origin', 'X-Matrix key="ed25519:a",sig="s"'],
      ['no key', 'X-Matrix origin="o",sig="s"'],
      ['no signature', 'X-Matrix origin="o",key="ed25519:a"'],
      ['an unterminated quote', 'X-Matrix origin="o,key="ed25519:a",sig="s'],
      ['a parameter without a value', 'X-Matrix origin,key="ed25519:a",sig="s"'],
    ])('refuses %s', (_what, header) => {
      expect(parseAuthorizationHeader(header)).toBeUndefined();
    });
  });
});
