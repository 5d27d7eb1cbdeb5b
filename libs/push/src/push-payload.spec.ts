import { notificationBody, tweaksOf } from './push-payload';

const pusher = {
  appId: 'app',
  pushkey: 'key',
  pushkeyTs: 1_700_000_000_000n,
  data: { url: 'https://gw/_matrix/push/v1/notify', format: 'event_id_only', extra: 1 },
};
const pushed = {
  eventId: '$e',
  roomId: '!r:example.org',
  event: { type: 'm.room.message', sender: '@bob:example.org', content: { body: 'secret' } },
};

describe('the push gateway notification', () => {
  it('event_id_only sends IDs, counts and the device without the url, and no content', () => {
    expect(notificationBody(pusher, pushed, ['notify'], 3)).toEqual({
      notification: {
        event_id: '$e',
        room_id: '!r:example.org',
        counts: { unread: 3 },
        prio: 'low',
        devices: [
          {
            app_id: 'app',
            pushkey: 'key',
            pushkey_ts: 1_700_000_000,
            data: { format: 'event_id_only', extra: 1 },
            tweaks: {},
          },
        ],
      },
    });
  });

  it('the full format names the event, and a sound or highlight makes it high priority', () => {
    const body = notificationBody(
      { ...pusher, data: { url: 'x' } },
      pushed,
      ['notify', { set_tweak: 'sound', value: 'default' }],
      1,
    ) as { notification: Record<string, unknown> };
    expect(body.notification).toMatchObject({
      type: 'm.room.message',
      sender: '@bob:example.org',
      content: { body: 'secret' },
      prio: 'high',
    });
  });

  it('a highlight tweak without a value is true', () => {
    expect(tweaksOf([{ set_tweak: 'highlight' }, { set_tweak: 'sound', value: 'ring' }])).toEqual({
      highlight: true,
      sound: 'ring',
    });
  });
});
