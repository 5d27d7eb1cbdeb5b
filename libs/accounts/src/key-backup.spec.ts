import { parseBackupKey, parseBackupRooms, replacesBackupKey, type BackupKey } from './key-backup';

const key = (overrides: Partial<BackupKey> = {}): BackupKey => ({
  first_message_index: 1,
  forwarded_count: 1,
  is_verified: false,
  session_data: {},
  ...overrides,
});

describe('replacesBackupKey', () => {
  it('a verified key replaces an unverified one whatever its index', () => {
    expect(replacesBackupKey(key({ is_verified: true, first_message_index: 9 }), key())).toBe(true);
  });

  it('an unverified key never replaces a verified one', () => {
    expect(replacesBackupKey(key({ first_message_index: 0, forwarded_count: 0 }), key({ is_verified: true }))).toBe(
      false,
    );
  });

  it('between equally verified keys, the lower first_message_index wins', () => {
    expect(replacesBackupKey(key({ first_message_index: 0, forwarded_count: 5 }), key())).toBe(true);
  });

  it('a higher first_message_index does not replace', () => {
    expect(replacesBackupKey(key({ first_message_index: 2, forwarded_count: 0 }), key())).toBe(false);
  });

  it('with the same index, the lower forwarded_count wins', () => {
    expect(replacesBackupKey(key({ forwarded_count: 0 }), key())).toBe(true);
  });

  it('a key equal in all three keeps the stored one', () => {
    expect(replacesBackupKey(key({ session_data: { other: 'data' } }), key())).toBe(false);
  });
});

describe('parseBackupKey', () => {
  it('takes a well-formed key', () => {
    expect(parseBackupKey(key(), 'k')).toEqual(key());
  });

  it('refuses a key without session_data with M_BAD_JSON', () => {
    const { session_data: _, ...rest } = key();
    expect(() => parseBackupKey(rest, 'k')).toThrow(expect.objectContaining({ errcode: 'M_BAD_JSON' }));
  });

  it('refuses a negative first_message_index', () => {
    expect(() => parseBackupKey(key({ first_message_index: -1 }), 'k')).toThrow(
      expect.objectContaining({ errcode: 'M_BAD_JSON' }),
    );
  });
});

describe('parseBackupRooms', () => {
  it('reads room -> session -> key', () => {
    expect(parseBackupRooms({ rooms: { '!r:x': { sessions: { s: key() } } } })).toEqual({ '!r:x': { s: key() } });
  });

  it('refuses a body without rooms', () => {
    expect(() => parseBackupRooms({})).toThrow(expect.objectContaining({ errcode: 'M_BAD_JSON' }));
  });
});
