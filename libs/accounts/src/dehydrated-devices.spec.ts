import { parseDehydratedDeviceUpload, parseEventsBatch } from './dehydrated-devices';

const userId = '@ann:localhost';
const body = (overrides: Record<string, unknown> = {}) => ({
  device_id: 'DEHYD',
  device_data: { algorithm: 'org.matrix.msc3814.v2' },
  ...overrides,
});

describe('parseDehydratedDeviceUpload', () => {
  it('takes the device, its data, its name and its keys', () => {
    const deviceKeys = { user_id: userId, device_id: 'DEHYD', dehydrated: true };
    expect(
      parseDehydratedDeviceUpload(
        body({
          initial_device_display_name: 'Dehydrated',
          device_keys: deviceKeys,
          one_time_keys: { 'signed_curve25519:a': {} },
          fallback_keys: {},
        }),
        userId,
      ),
    ).toEqual({
      deviceId: 'DEHYD',
      deviceData: { algorithm: 'org.matrix.msc3814.v2' },
      displayName: 'Dehydrated',
      deviceKeys,
      oneTimeKeys: { 'signed_curve25519:a': {} },
      fallbackKeys: {},
    });
  });

  it.each([
    ['no device_id', { device_id: undefined }],
    ['an empty device_id', { device_id: '' }],
    ['device_data that is not an object', { device_data: 'x' }],
    ['device_data without an algorithm', { device_data: {} }],
    ['a display name that is not a string', { initial_device_display_name: 3 }],
    ['one_time_keys that are not an object', { one_time_keys: [] }],
    ['device keys of another device', { device_keys: { user_id: userId, device_id: 'OTHER' } }],
    ['device keys of another user', { device_keys: { user_id: '@bob:localhost', device_id: 'DEHYD' } }],
  ])('refuses %s with M_BAD_JSON', (_, overrides) => {
    expect(() => parseDehydratedDeviceUpload(body(overrides), userId)).toThrow(
      expect.objectContaining({ errcode: 'M_BAD_JSON' }),
    );
  });
});

describe('parseEventsBatch', () => {
  it('reads a position, and nothing as the start', () => {
    expect(parseEventsBatch('42')).toBe(42n);
    expect(parseEventsBatch(undefined)).toBeUndefined();
  });

  it.each([
    ['a word', 'abc'],
    ['a negative number', '-1'],
    ['a number, not a string', 42],
    ['too many digits', '1'.repeat(20)],
  ])('refuses %s with M_INVALID_PARAM', (_, value) => {
    expect(() => parseEventsBatch(value)).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
  });
});
