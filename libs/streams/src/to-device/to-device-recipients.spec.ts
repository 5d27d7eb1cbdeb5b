import { addressedMessages, expandRecipients } from './to-device-recipients';

describe('to-device recipients', () => {
  const devicesOf = new Map([['@bob:hs', ['PHONE', 'LAPTOP']]]);
  const to = (userId: string, deviceId: string) => ({ userId, deviceId, sender: '@ann:hs', type: 't', content: {} });

  it('sends a * message to every device of the user', () => {
    expect(expandRecipients([to('@bob:hs', '*')], devicesOf).map((m) => m.deviceId)).toEqual(['PHONE', 'LAPTOP']);
  });

  it('drops messages for devices and users that do not exist', () => {
    expect(expandRecipients([to('@bob:hs', 'GONE'), to('@nobody:hs', '*'), to('@bob:hs', 'PHONE')], devicesOf)).toEqual(
      [to('@bob:hs', 'PHONE')],
    );
  });

  it("turns the spec's messages map into one message per (user, device)", () => {
    expect(addressedMessages('@ann:hs', 't', { '@bob:hs': { PHONE: { a: 1 }, '*': { b: 2 } } })).toEqual([
      { userId: '@bob:hs', deviceId: 'PHONE', sender: '@ann:hs', type: 't', content: { a: 1 } },
      { userId: '@bob:hs', deviceId: '*', sender: '@ann:hs', type: 't', content: { b: 2 } },
    ]);
  });
});
