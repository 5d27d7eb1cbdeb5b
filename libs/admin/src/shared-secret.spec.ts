import { createHmac } from 'node:crypto';
import { issueNonce, NONCE_TTL_MS, nonceIsValid, registrationMac } from './shared-secret';

describe('shared-secret registration', () => {
  it('computes the MAC as Synapse documents it (HMAC-SHA1 over NUL-separated fields)', () => {
    const expected = createHmac('sha1', 'secret').update('abc\x00alice\x00pw\x00admin').digest('hex');
    expect(registrationMac('secret', { nonce: 'abc', username: 'alice', password: 'pw', admin: true })).toBe(expected);
  });

  it('adds the user type to the MAC only when one is given', () => {
    const expected = createHmac('sha1', 'secret').update('abc\x00bob\x00pw\x00notadmin\x00bot').digest('hex');
    expect(
      registrationMac('secret', { nonce: 'abc', username: 'bob', password: 'pw', admin: false, userType: 'bot' }),
    ).toBe(expected);
  });

  it('accepts its own nonce while fresh, from any process sharing the secret', () => {
    const nonce = issueNonce('secret', 1_000_000);
    expect(nonceIsValid('secret', nonce, 1_000_000 + NONCE_TTL_MS - 1)).toBe(true);
  });

  it('refuses a nonce once it is older than a minute', () => {
    expect(nonceIsValid('secret', issueNonce('secret', 1_000_000), 1_000_000 + NONCE_TTL_MS)).toBe(false);
  });

  it('refuses a nonce made with another secret or altered', () => {
    const nonce = issueNonce('secret', 1_000_000);
    expect(nonceIsValid('other', nonce, 1_000_001)).toBe(false);
    expect(
      nonceIsValid(
        'secret',
        nonce.replace(/^./, (c) => (c === '1' ? '2' : '1')),
        1_000_001,
      ),
    ).toBe(false);
  });
});
