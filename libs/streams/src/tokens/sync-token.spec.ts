import { clampPosition, formatSyncToken, hasAdvanced, parseSyncToken, ZERO_POSITION } from './sync-token';

describe('sync tokens', () => {
  it('round-trips every stream position', () => {
    const position = {
      events: 42n,
      accountData: 7n,
      receipts: 3n,
      typing: 9007199254740993n,
      toDevice: 11n,
      deviceLists: 12n,
      presence: 13n,
      notifications: 14n,
    };
    expect(parseSyncToken(formatSyncToken(position))).toEqual(position);
  });

  it('reads a token issued before presence existed as presence from the beginning', () => {
    expect(parseSyncToken('s42_7_3_9_4_5')).toEqual({
      events: 42n,
      accountData: 7n,
      receipts: 3n,
      typing: 9n,
      toDevice: 4n,
      deviceLists: 5n,
      presence: 0n,
      notifications: 0n,
    });
  });

  it('rejects a token with more positions than there are streams', () => {
    expect(() => parseSyncToken('s1_2_3_4_5_6_7_8_9')).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });

  it('rejects tokens that are not ours with M_INVALID_PARAM', () => {
    expect(() => parseSyncToken('garbage')).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
    expect(() => parseSyncToken('s1_2')).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });

  it('reads a token from before the to-device and device-list streams as position 0 of those', () => {
    expect(parseSyncToken('s1_2_3_4')).toEqual({
      events: 1n,
      accountData: 2n,
      receipts: 3n,
      typing: 4n,
      toDevice: 0n,
      deviceLists: 0n,
      presence: 0n,
      notifications: 0n,
    });
  });

  it('clamps a token from the future to the current position, stream by stream', () => {
    const current = {
      events: 10n,
      accountData: 5n,
      receipts: 5n,
      typing: 5n,
      toDevice: 5n,
      deviceLists: 5n,
      presence: 5n,
      notifications: 5n,
    };
    expect(
      clampPosition(
        {
          events: 99n,
          accountData: 2n,
          receipts: 5n,
          typing: 6n,
          toDevice: 7n,
          deviceLists: 1n,
          presence: 7n,
          notifications: 9n,
        },
        current,
      ),
    ).toEqual({
      events: 10n,
      accountData: 2n,
      receipts: 5n,
      typing: 5n,
      toDevice: 5n,
      deviceLists: 1n,
      presence: 5n,
      notifications: 5n,
    });
  });

  it('notices when any stream advanced', () => {
    expect(hasAdvanced(ZERO_POSITION, { ...ZERO_POSITION, receipts: 1n })).toBe(true);
    expect(hasAdvanced(ZERO_POSITION, { ...ZERO_POSITION, toDevice: 1n })).toBe(true);
    expect(hasAdvanced(ZERO_POSITION, ZERO_POSITION)).toBe(false);
  });
});
