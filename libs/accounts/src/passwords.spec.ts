import { argon2Sync, randomBytes, scryptSync } from 'node:crypto';
import { hashPassword, verifyPassword } from './passwords';

describe('passwords', () => {
  it('hashes with argon2id at OWASP memory and passes, in two lanes, and verifies the same password', async () => {
    const stored = await hashPassword('correct horse');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=2\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    await expect(verifyPassword('correct horse', stored)).resolves.toBe(true);
  });

  it('refuses another password', async () => {
    await expect(verifyPassword('wrong horse', await hashPassword('correct horse'))).resolves.toBe(false);
  });

  it('salts each hash', async () => {
    expect(await hashPassword('same')).not.toEqual(await hashPassword('same'));
  });

  it('still verifies a scrypt hash stored before argon2id', async () => {
    const salt = randomBytes(16);
    const hash = scryptSync('old password', salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const stored = ['scrypt', 1 << 15, 8, 1, salt.toString('base64'), hash.toString('base64')].join('$');
    await expect(verifyPassword('old password', stored)).resolves.toBe(true);
    await expect(verifyPassword('other', stored)).resolves.toBe(false);
  });

  it('still verifies a one-lane argon2id hash stored before two lanes', async () => {
    const salt = randomBytes(16);
    const hash = argon2Sync('argon2id', {
      message: 'one lane',
      nonce: salt,
      tagLength: 32,
      memory: 19_456,
      passes: 2,
      parallelism: 1,
    });
    const unpadded = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    const stored = `$argon2id$v=19$m=19456,t=2,p=1$${unpadded(salt)}$${unpadded(hash)}`;
    await expect(verifyPassword('one lane', stored)).resolves.toBe(true);
    await expect(verifyPassword('two lanes', stored)).resolves.toBe(false);
  });

  it('refuses a hash in a scheme it does not know', async () => {
    await expect(verifyPassword('x', '$bcrypt$whatever')).resolves.toBe(false);
  });
});
