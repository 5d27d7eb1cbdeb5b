import { deviceListUpdateEdu } from './device-list-updates';

describe('m.device_list_update EDUs', () => {
  const base = { userId: '@a:here', deviceId: 'D1', streamId: 7n };

  it('carries the device\'s keys and name, and the update it follows', () => {
    const keys = { user_id: '@a:here', device_id: 'D1', keys: {} };
    expect(deviceListUpdateEdu({ ...base, prevId: 5n, device: { displayName: 'Phone', keys } })).toEqual({
      edu_type: 'm.device_list_update',
      content: { user_id: '@a:here', device_id: 'D1', stream_id: 7, prev_id: [5], device_display_name: 'Phone', keys },
    });
  });

  it('announces a deleted device, with an empty prev_id for a user\'s first update', () => {
    expect(deviceListUpdateEdu({ ...base, prevId: undefined, device: undefined }).content).toEqual({ user_id: '@a:here', device_id: 'D1', stream_id: 7, prev_id: [], deleted: true });
  });
});
