import { computeEventId, roomIdFromCreateEvent, roomIdOf } from './event-ids';
import type { Pdu } from './events';
import { computeContentHash } from './hashes';
import { isValidEventId, isValidRoomId } from './identifiers';
import { getRoomVersion } from './room-versions';

const event = (extra: Partial<Pdu> = {}): Pdu => ({
  room_id: '!r:x',
  sender: '@u:x',
  origin_server_ts: 1,
  type: 'm.room.message',
  content: { body: '+/' },
  prev_events: [],
  auth_events: [],
  depth: 1,
  hashes: { sha256: 'h' },
  signatures: {},
  ...extra,
});

describe('event IDs', () => {
  it('uses the origin-minted ID in v1 and v2', () => {
    expect(computeEventId(getRoomVersion('2'), event({ event_id: '$abc:x' }))).toBe('$abc:x');
  });

  it('is the standard base64 reference hash in v3 and URL-safe from v4', () => {
    const v3 = computeEventId(getRoomVersion('3'), event());
    const v4 = computeEventId(getRoomVersion('4'), event());
    expect(isValidEventId(v3, 'hash-base64')).toBe(true);
    expect(isValidEventId(v4, 'hash-urlsafe')).toBe(true);
    expect(v4).toBe(v3.replace(/\+/g, '-').replace(/\//g, '_'));
  });

  it('does not change when the event is redacted or re-signed', () => {
    const version = getRoomVersion('11');
    const id = computeEventId(version, event());
    expect(
      computeEventId(version, event({ content: {}, signatures: { x: { 'ed25519:1': 's' } }, unsigned: { age: 1 } })),
    ).toBe(id);
  });

  it('changes when the content hash changes', () => {
    const version = getRoomVersion('11');
    const withHash = (body: string) =>
      event({ content: { body }, hashes: { sha256: computeContentHash(version, event({ content: { body } })) } });
    expect(computeEventId(version, withHash('a'))).not.toBe(computeEventId(version, withHash('b')));
  });

  it('derives v12 room IDs from the create event', () => {
    const version = getRoomVersion('12');
    const create = event({ room_id: undefined, type: 'm.room.create', state_key: '', content: { room_version: '12' } });
    const roomId = roomIdFromCreateEvent(version, create);
    expect(isValidRoomId(roomId, true)).toBe(true);
    expect(roomId.slice(1)).toBe(computeEventId(version, create).slice(1));
    expect(roomIdOf(version, create)).toBe(roomId);
    expect(() => roomIdFromCreateEvent(getRoomVersion('11'), create)).toThrow();
  });
});
