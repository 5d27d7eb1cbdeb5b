import { directToDeviceEdu, routeToDevice, toDeviceMessageId } from './route-to-device';

describe('routing send-to-device messages', () => {
  const isLocal = (server: string) => server === 'here';

  it("keeps our users' messages local and groups the rest per destination server", () => {
    const { local, remote } = routeToDevice(
      {
        '@a:here': { D1: { x: 1 } },
        '@b:there': { '*': { x: 2 } },
        '@c:there': { D3: { x: 3 } },
        '@d:elsewhere': { D4: {} },
      },
      isLocal,
    );
    expect(local).toEqual({ '@a:here': { D1: { x: 1 } } });
    expect(Object.fromEntries(remote)).toEqual({
      there: { '@b:there': { '*': { x: 2 } }, '@c:there': { D3: { x: 3 } } },
      elsewhere: { '@d:elsewhere': { D4: {} } },
    });
  });

  it('derives the same message_id for a retried request and different ones for different requests', () => {
    expect(toDeviceMessageId('@a:here', 'D1', 't1')).toBe(toDeviceMessageId('@a:here', 'D1', 't1'));
    expect(toDeviceMessageId('@a:here', 'D1', 't1')).not.toBe(toDeviceMessageId('@a:here', 'D1', 't2'));
    expect(toDeviceMessageId('@a:here', 'D1', 't1')).not.toBe(toDeviceMessageId('@a:here', 'D2', 't1'));
  });

  it('builds the m.direct_to_device EDU of the spec', () => {
    expect(directToDeviceEdu('@a:here', 'm.room_key_request', 'mid', { '@b:there': { D2: { k: 1 } } })).toEqual({
      edu_type: 'm.direct_to_device',
      content: {
        sender: '@a:here',
        type: 'm.room_key_request',
        message_id: 'mid',
        messages: { '@b:there': { D2: { k: 1 } } },
      },
    });
  });
});
