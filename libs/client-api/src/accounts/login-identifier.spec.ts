import { loginUserId } from './login-identifier';

describe('loginUserId', () => {
  it('makes a localpart a user ID of the tenant', () =>
    expect(loginUserId('alice', 'example.org')).toBe('@alice:example.org'));
  it('lower-cases a localpart', () => expect(loginUserId('Alice', 'example.org')).toBe('@alice:example.org'));
  it("lower-cases a full user ID's localpart and keeps its server", () =>
    expect(loginUserId('@Alice:Other.org', 'example.org')).toBe('@alice:Other.org'));
});
