import { generateKeyPairSync, sign } from 'node:crypto';
import { encodeBase64, signedBytes, type JsonObject } from '@lattice/protocol';
import {
  checkDeviceSignature,
  checkMasterSignatureByDevices,
  checkUserSignature,
  crossSigningPublicKey,
  requireSignedByMaster,
  sameSignedContent,
  uploadNeedsAuth,
  withSignatures,
} from './cross-signing';

/** An ed25519 key pair as clients hold one: the public key in unpadded base64, and a signer. */
function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  const base64 = encodeBase64(raw);
  return {
    publicKey: base64,
    sign: (object: JsonObject, userId: string, keyId = `ed25519:${base64}`) =>
      withSignatures(object, userId, { [keyId]: encodeBase64(sign(null, signedBytes(object), privateKey)) }),
  };
}

const alice = '@alice:example.org';
const bob = '@bob:example.org';
const crossSigningKey = (userId: string, usage: string, publicKey: string): JsonObject => ({
  user_id: userId,
  usage: [usage],
  keys: { [`ed25519:${publicKey}`]: publicKey },
});

describe('crossSigningPublicKey', () => {
  const master = keyPair();

  it('answers the public key of a well-formed key', () => {
    expect(crossSigningPublicKey(crossSigningKey(alice, 'master', master.publicKey), alice, 'master')).toBe(
      master.publicKey,
    );
  });

  it('refuses a key of another user', () => {
    expect(() => crossSigningPublicKey(crossSigningKey(bob, 'master', master.publicKey), alice, 'master')).toThrow(
      expect.objectContaining({ errcode: 'M_INVALID_PARAM' }),
    );
  });

  it('refuses a key without the usage it is uploaded as', () => {
    expect(() =>
      crossSigningPublicKey(crossSigningKey(alice, 'self_signing', master.publicKey), alice, 'master'),
    ).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });

  it('refuses a key whose key ID does not name its public key', () => {
    const key = { user_id: alice, usage: ['master'], keys: { 'ed25519:other': master.publicKey } };
    expect(() => crossSigningPublicKey(key, alice, 'master')).toThrow(
      expect.objectContaining({ errcode: 'M_INVALID_PARAM' }),
    );
  });

  it('refuses a key holding two keys', () => {
    const other = keyPair();
    const key = {
      user_id: alice,
      usage: ['master'],
      keys: { [`ed25519:${master.publicKey}`]: master.publicKey, [`ed25519:${other.publicKey}`]: other.publicKey },
    };
    expect(() => crossSigningPublicKey(key, alice, 'master')).toThrow(
      expect.objectContaining({ errcode: 'M_INVALID_PARAM' }),
    );
  });
});

describe('requireSignedByMaster', () => {
  const master = keyPair();
  const selfSigning = keyPair();

  it('accepts a self-signing key the master key signed', () => {
    const key = master.sign(crossSigningKey(alice, 'self_signing', selfSigning.publicKey), alice);
    expect(() => requireSignedByMaster(key, alice, master.publicKey, 'self_signing')).not.toThrow();
  });

  it('refuses one signed by another key with M_INVALID_SIGNATURE', () => {
    const key = keyPair().sign(crossSigningKey(alice, 'self_signing', selfSigning.publicKey), alice);
    expect(() => requireSignedByMaster(key, alice, master.publicKey, 'self_signing')).toThrow(
      expect.objectContaining({ errcode: 'M_INVALID_SIGNATURE' }),
    );
  });

  it('refuses one when there is no master key with M_MISSING_PARAM', () => {
    const key = master.sign(crossSigningKey(alice, 'self_signing', selfSigning.publicKey), alice);
    expect(() => requireSignedByMaster(key, alice, undefined, 'self_signing')).toThrow(
      expect.objectContaining({ errcode: 'M_MISSING_PARAM' }),
    );
  });
});

describe('uploadNeedsAuth', () => {
  const master = crossSigningKey(alice, 'master', keyPair().publicKey);

  it('needs none for the first upload', () => {
    expect(uploadNeedsAuth({}, { master })).toBe(false);
  });

  it('needs none when every key uploaded is the one stored (a retried request)', () => {
    expect(uploadNeedsAuth({ master: withSignatures(master, alice, { 'ed25519:DEV': 'sig' }) }, { master })).toBe(
      false,
    );
  });

  it('needs it to replace the master key', () => {
    expect(uploadNeedsAuth({ master }, { master: crossSigningKey(alice, 'master', keyPair().publicKey) })).toBe(true);
  });

  it('needs it to add a key the user did not have', () => {
    expect(
      uploadNeedsAuth({ master }, { self_signing: crossSigningKey(alice, 'self_signing', keyPair().publicKey) }),
    ).toBe(true);
  });
});

describe('sameSignedContent', () => {
  it('ignores signatures and unsigned data', () => {
    expect(sameSignedContent({ a: 1, signatures: { x: {} } }, { a: 1, unsigned: { y: 1 } })).toBe(true);
  });

  it('tells different content apart', () => {
    expect(sameSignedContent({ a: 1 }, { a: 2 })).toBe(false);
  });
});

describe('checkDeviceSignature', () => {
  const selfSigning = keyPair();
  const device: JsonObject = { user_id: alice, device_id: 'DEV', algorithms: [], keys: { 'ed25519:DEV': 'x' } };

  it('keeps the self-signing key signature of the device', () => {
    const signed = selfSigning.sign(device, alice);
    const keyId = `ed25519:${selfSigning.publicKey}`;
    expect(checkDeviceSignature(alice, signed, device, selfSigning.publicKey)).toEqual({
      signatures: { [keyId]: (signed.signatures as Record<string, Record<string, string>>)[alice][keyId] },
    });
  });

  it('fails a signature by another key with M_INVALID_SIGNATURE', () => {
    const signed = keyPair().sign(device, alice, `ed25519:${selfSigning.publicKey}`);
    expect(checkDeviceSignature(alice, signed, device, selfSigning.publicKey)).toEqual({
      failure: expect.objectContaining({ errcode: 'M_INVALID_SIGNATURE' }),
    });
  });

  it('fails a signed object that differs from the stored device keys', () => {
    const signed = selfSigning.sign({ ...device, keys: { 'ed25519:DEV': 'forged' } }, alice);
    expect(checkDeviceSignature(alice, signed, device, selfSigning.publicKey)).toEqual({
      failure: expect.objectContaining({ errcode: 'M_INVALID_PARAM' }),
    });
  });

  it('fails an unknown device with M_NOT_FOUND', () => {
    expect(checkDeviceSignature(alice, selfSigning.sign(device, alice), undefined, selfSigning.publicKey)).toEqual({
      failure: expect.objectContaining({ errcode: 'M_NOT_FOUND' }),
    });
  });
});

describe('checkMasterSignatureByDevices', () => {
  const deviceKey = keyPair();
  const master = crossSigningKey(alice, 'master', keyPair().publicKey);
  const devices = { DEV: { user_id: alice, device_id: 'DEV', keys: { 'ed25519:DEV': deviceKey.publicKey } } };

  it('keeps a device signature of the master key', () => {
    const signed = deviceKey.sign(master, alice, 'ed25519:DEV');
    expect(checkMasterSignatureByDevices(alice, signed, master, devices)).toEqual({
      signatures: { 'ed25519:DEV': expect.any(String) },
    });
  });

  it('fails a signature by a key that is not a device of the user', () => {
    const signed = deviceKey.sign(master, alice, 'ed25519:OTHER');
    expect(checkMasterSignatureByDevices(alice, signed, master, devices)).toEqual({
      failure: expect.objectContaining({ errcode: 'M_INVALID_SIGNATURE' }),
    });
  });
});

describe('checkUserSignature', () => {
  const userSigning = keyPair();
  const bobMaster = crossSigningKey(bob, 'master', keyPair().publicKey);

  it('keeps the user-signing key signature of another user master key', () => {
    const signed = userSigning.sign(bobMaster, alice);
    expect(checkUserSignature(alice, signed, bobMaster, userSigning.publicKey)).toEqual({
      signatures: { [`ed25519:${userSigning.publicKey}`]: expect.any(String) },
    });
  });

  it('fails without a user-signing key with M_MISSING_PARAM', () => {
    expect(checkUserSignature(alice, userSigning.sign(bobMaster, alice), bobMaster, undefined)).toEqual({
      failure: expect.objectContaining({ errcode: 'M_MISSING_PARAM' }),
    });
  });

  it('fails a signature by another key with M_INVALID_SIGNATURE', () => {
    const signed = keyPair().sign(bobMaster, alice, `ed25519:${userSigning.publicKey}`);
    expect(checkUserSignature(alice, signed, bobMaster, userSigning.publicKey)).toEqual({
      failure: expect.objectContaining({ errcode: 'M_INVALID_SIGNATURE' }),
    });
  });
});
