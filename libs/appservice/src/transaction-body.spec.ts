import { transactionBody } from './transaction-body';

describe('the body of a transaction to an application service', () => {
  it('always has events, and ephemeral data under both its stable and its MSC2409 name', () => {
    const typing = { type: 'm.typing', room_id: '!r:x', content: { user_ids: [] } };
    expect(transactionBody([{ kind: 'event', payload: { event_id: '$1' } }])).toEqual({ events: [{ event_id: '$1' }] });
    expect(transactionBody([{ kind: 'ephemeral', payload: typing }])).toEqual({
      events: [],
      ephemeral: [typing],
      'de.sorunome.msc2409.ephemeral': [typing],
    });
  });

  it('keeps the queue order of the events', () => {
    const body = transactionBody([1, 2, 3].map((n) => ({ kind: 'event' as const, payload: { event_id: `$${n}` } })));
    expect(body.events).toEqual([{ event_id: '$1' }, { event_id: '$2' }, { event_id: '$3' }]);
  });

  it('names each changed device list once, and gives the latest one-time-key count of each device (MSC3202)', () => {
    const body = transactionBody([
      { kind: 'device_lists', payload: { changed: '@a:x' } },
      { kind: 'device_lists', payload: { changed: '@a:x' } },
      { kind: 'otk_counts', payload: { user_id: '@b:x', device_id: 'D', counts: { curve25519: 5 } } },
      { kind: 'otk_counts', payload: { user_id: '@b:x', device_id: 'D', counts: { curve25519: 4 } } },
    ]);
    expect(body['org.matrix.msc3202.device_lists']).toEqual({ changed: ['@a:x'], left: [] });
    expect(body['org.matrix.msc3202.device_one_time_keys_count']).toEqual({ '@b:x': { D: { curve25519: 4 } } });
  });

  it('names a user who left every shared room in `left`, and one who came back in `changed` (MSC3202)', () => {
    const body = transactionBody([
      { kind: 'device_lists', payload: { left: '@gone:x' } },
      { kind: 'device_lists', payload: { left: '@back:x' } },
      { kind: 'device_lists', payload: { changed: '@back:x' } },
    ]);
    expect(body['org.matrix.msc3202.device_lists']).toEqual({ changed: ['@back:x'], left: ['@gone:x'] });
  });
});
