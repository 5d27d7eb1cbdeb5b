import { generateKeyPairSync, sign } from 'node:crypto';
import { encodeBase64, signedBytes, type JsonObject } from '../../libs/protocol/src';

type Signed = JsonObject & { signatures?: Record<string, Record<string, string>> };

/** An ed25519 key pair as a client holds one: the public key in unpadded base64, and a signer adding its signature to an object. */
export function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const base64 = encodeBase64(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  return {
    publicKey: base64,
    sign(object: JsonObject, userId: string, keyId = `ed25519:${base64}`): Signed {
      const signature = encodeBase64(sign(null, signedBytes(object), privateKey));
      const signatures = { ...((object.signatures as Record<string, Record<string, string>> | undefined) ?? {}) };
      signatures[userId] = { ...(signatures[userId] ?? {}), [keyId]: signature };
      return { ...object, signatures };
    },
  };
}

/** A user's three cross-signing keys, the self-signing and user-signing ones signed by the master key, as uploaded. */
export function crossSigningKeys(userId: string) {
  const [master, selfSigning, userSigning] = [keyPair(), keyPair(), keyPair()];
  const key = (usage: string, publicKey: string): JsonObject => ({
    user_id: userId,
    usage: [usage],
    keys: { [`ed25519:${publicKey}`]: publicKey },
  });
  return {
    master,
    selfSigning,
    userSigning,
    upload: {
      master_key: key('master', master.publicKey),
      self_signing_key: master.sign(key('self_signing', selfSigning.publicKey), userId),
      user_signing_key: master.sign(key('user_signing', userSigning.publicKey), userId),
    },
  };
}
