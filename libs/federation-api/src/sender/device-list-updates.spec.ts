import { deviceListUpdateEdu, signingKeyUpdateEdu } from './device-list-updates';

describe('m.device_list_update EDUs', () => {
  const base = { userId: '@a:here', deviceId: 'D1', streamId: 7n };

  it("carries the device's keys and name, and the update it follows", () => {
    const keys = { user_id: '@a:here', device_id: 'D1', keys: {} };
    expect(deviceListUpdateEdu({ ...base, prevId: 5n, device: { displayName: 'Phone', keys } })).toEqual({
      edu_type: 'm.device_list_update',
      content: { user_id: '@a:here', device_id: 'D1', stream_id: 7, prev_id: [5], device_display_name: 'Phone', keys },
    });
  });

  it("announces a deleted device, with an empty prev_id for a user's first update", () => {
    expect(deviceListUpdateEdu({ ...base, prevId: undefined, device: undefined }).content).toEqual({
      user_id: '@a:here',
      device_id: 'D1',
      stream_id: 7,
      prev_id: [],
      deleted: true,
    });
  });
});

describe('m.signing_key_update EDUs', () => {
  const master = { user_id: '@a:here', usage: ['master'], keys: { 'ed25519:M': 'M' } };
  const selfSigning = { user_id: '@a:here', usage: ['self_signing'], keys: { 'ed25519:S': 'S' } };

  it('carries the master and self-signing keys', () => {
    expect(signingKeyUpdateEdu('@a:here', { master, self_signing: selfSigning })).toEqual({
      edu_type: 'm.signing_key_update',
      content: { user_id: '@a:here', master_key: master, self_signing_key: selfSigning },
    });
  });

  it('leaves out a key the user does not have', () => {
    expect(signingKeyUpdateEdu('@a:here', { master }).content).toEqual({ user_id: '@a:here', master_key: master });
  });
});
