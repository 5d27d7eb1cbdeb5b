import {
  isRoomId,
  isValidHistoricalUserId,
  isValidRoomAlias,
  isValidRoomId,
  isValidServerName,
  isValidUserId,
  parseServerName,
} from './identifiers';

describe('identifier grammars', () => {
  it.each([
    'matrix.org',
    'matrix.org:8888',
    '1.2.3.4',
    '1.2.3.4:1234',
    '[1234:5678::abcd]',
    '[1234:5678::abcd]:5678',
    'localhost',
  ])('accepts server name %s', (name) => expect(isValidServerName(name)).toBe(true));

  it.each(['', 'a b', 'host:', 'host:123456', 'host:70000', '[::1', '256.1.1.1', 'under_score.org'])(
    'rejects server name %j',
    (name) => {
      expect(isValidServerName(name)).toBe(false);
    },
  );

  it('splits host and port', () => {
    expect(parseServerName('[::1]:8448')).toEqual({ host: '[::1]', port: 8448 });
    expect(parseServerName('example.org')).toEqual({ host: 'example.org', port: undefined });
  });

  it('distinguishes current and historical user IDs', () => {
    expect(isValidUserId('@alice.b=c/d+e-f_g:example.org')).toBe(true);
    expect(isValidUserId('@Alice:example.org')).toBe(false);
    expect(isValidHistoricalUserId('@Alice!:example.org')).toBe(true);
    expect(isValidHistoricalUserId('@al ice:example.org')).toBe(false);
    expect(isValidUserId(`@${'a'.repeat(250)}:example.org`)).toBe(false);
  });

  it('checks room IDs with and without a domain, and aliases', () => {
    expect(isValidRoomId('!opaque:example.org')).toBe(true);
    expect(isValidRoomId('!opaque')).toBe(false);
    expect(isValidRoomId(`!${'A'.repeat(43)}`, true)).toBe(true);
    expect(isValidRoomAlias('#日本:example.org')).toBe(true);
    expect(isValidRoomAlias('#a:b:c')).toBe(false);
  });

  it('takes a room ID of either form as a room ID', () => {
    expect(isRoomId('!opaque:example.org')).toBe(true);
    expect(isRoomId(`!${'A'.repeat(43)}`)).toBe(true);
  });

  it('does not take a room ID whose server name is malformed', () => {
    expect(isRoomId(':m[nG')).toBe(false);
    expect(isRoomId('!a:m[nG')).toBe(false);
  });
});
