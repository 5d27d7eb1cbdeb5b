import type { Pdu } from '@lattice/protocol';
import { shownInTimeline } from './timeline-shown';

describe('what a timeline shows', () => {
  const message = (sender: string, type = 'm.room.message') =>
    ({ type, sender, room_id: '!r:x', content: { body: 'hi' } }) as unknown as Pdu;
  const ignored = new Set(['@troll:x']);

  it('shows a message from a user not ignored', () =>
    expect(shownInTimeline(message('@friend:x'), '!r:x', ignored, undefined)).toBe(true));
  it('hides a message from an ignored user', () =>
    expect(shownInTimeline(message('@troll:x'), '!r:x', ignored, undefined)).toBe(false));
  it('hides an event of a type the filter leaves out', () =>
    expect(shownInTimeline(message('@friend:x', 'm.reaction'), '!r:x', ignored, { types: ['m.room.message'] })).toBe(
      false,
    ));
});
