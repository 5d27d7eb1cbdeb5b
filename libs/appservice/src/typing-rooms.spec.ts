import { TypingRooms } from './typing-rooms';

describe('who types in a room', () => {
  it('names everyone typing, drops who stopped and who timed out', () => {
    const rooms = new TypingRooms();
    expect(rooms.update({ roomId: '!r', userId: '@a', typing: true, timeoutMs: 1000 }, 0)).toEqual(['@a']);
    expect(rooms.update({ roomId: '!r', userId: '@b', typing: true, timeoutMs: 5000 }, 500)).toEqual(['@a', '@b']);
    expect(rooms.update({ roomId: '!r', userId: '@c', typing: true, timeoutMs: 5000 }, 1500)).toEqual(['@b', '@c']);
    expect(rooms.update({ roomId: '!r', userId: '@b', typing: false, timeoutMs: 0 }, 1600)).toEqual(['@c']);
  });
});
