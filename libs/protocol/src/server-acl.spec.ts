import { globPattern, serverAclAllows } from './server-acl';

describe('serverAclAllows (m.room.server_acl)', () => {
  it('allows every server in a room without an ACL', () => {
    expect(serverAclAllows(undefined, 'evil.example')).toBe(true);
  });

  it('denies everyone when the ACL has no allow list', () => {
    expect(serverAclAllows({ deny: [] }, 'good.example')).toBe(false);
  });

  it('applies deny before allow', () => {
    const acl = { allow: ['*'], deny: ['evil.example'] };
    expect(serverAclAllows(acl, 'evil.example')).toBe(false);
    expect(serverAclAllows(acl, 'good.example')).toBe(true);
  });

  it('ignores the port of the server name', () => {
    const acl = { allow: ['*'], deny: ['evil.example'] };
    expect(serverAclAllows(acl, 'evil.example:8448')).toBe(false);
    expect(serverAclAllows(acl, 'evil.example:1234')).toBe(false);
  });

  it('matches globs case-insensitively, * for any run and ? for one character', () => {
    const acl = { allow: ['*.trusted.example', 'host?.example'] };
    expect(serverAclAllows(acl, 'matrix.TRUSTED.example')).toBe(true);
    expect(serverAclAllows(acl, 'trusted.example')).toBe(false);
    expect(serverAclAllows(acl, 'host1.example')).toBe(true);
    expect(serverAclAllows(acl, 'host12.example')).toBe(false);
  });

  it('treats regular-expression characters in a pattern literally', () => {
    expect(serverAclAllows({ allow: ['a.b'] }, 'axb')).toBe(false);
    expect(serverAclAllows({ allow: ['a.b'] }, 'a.b')).toBe(true);
  });

  it('denies IP literals only when allow_ip_literals is false', () => {
    expect(serverAclAllows({ allow: ['*'], allow_ip_literals: false }, '1.2.3.4:8448')).toBe(false);
    expect(serverAclAllows({ allow: ['*'], allow_ip_literals: false }, '[::1]:8448')).toBe(false);
    expect(serverAclAllows({ allow: ['*'], allow_ip_literals: 'no' }, '1.2.3.4')).toBe(true);
    expect(serverAclAllows({ allow: ['*'] }, '[2001:db8::1]')).toBe(true);
  });

  it('ignores entries that are not strings', () => {
    expect(serverAclAllows({ allow: [42, null, 'ok.example'] } as never, 'ok.example')).toBe(true);
  });

  it('builds anchored patterns', () => {
    expect(globPattern('*.example').test('a.example.evil')).toBe(false);
  });
});
