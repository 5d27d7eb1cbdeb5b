import { eventMatches, roomEventMatches, roomIncluded } from './event-filter';

const message = { type: 'm.room.message', sender: '@a:x', room_id: '!r:x', content: { body: 'hi' } };

describe('event filters', () => {
  it('matches everything when no filter is given', () => {
    expect(eventMatches(undefined, message)).toBe(true);
  });

  it('matches type wildcards', () => {
    expect(eventMatches({ types: ['m.room.*'] }, message)).toBe(true);
    expect(eventMatches({ types: ['m.call.*'] }, message)).toBe(false);
  });

  it('lets exclusions win over inclusions', () => {
    expect(eventMatches({ types: ['*'], not_types: ['m.room.message'] }, message)).toBe(false);
    expect(eventMatches({ senders: ['@a:x'], not_senders: ['@a:x'] }, message)).toBe(false);
  });

  it('filters senders', () => {
    expect(eventMatches({ senders: ['@b:x'] }, message)).toBe(false);
    expect(eventMatches({ not_senders: ['@b:x'] }, message)).toBe(true);
  });

  it('filters rooms and contains_url', () => {
    expect(roomEventMatches({ not_rooms: ['!r:x'] }, message)).toBe(false);
    expect(roomEventMatches({ contains_url: true }, message)).toBe(false);
    expect(roomEventMatches({ contains_url: false }, message)).toBe(true);
  });

  it('does not read a dot in a type pattern as a regex wildcard', () => {
    expect(eventMatches({ types: ['m.room.message'] }, { type: 'm_room_message' })).toBe(false);
  });

  it('includes rooms by the sync filter room lists', () => {
    expect(roomIncluded({ room: { rooms: ['!r:x'] } }, '!r:x')).toBe(true);
    expect(roomIncluded({ room: { rooms: ['!r:x'] } }, '!s:x')).toBe(false);
    expect(roomIncluded(undefined, '!s:x')).toBe(true);
  });
});
