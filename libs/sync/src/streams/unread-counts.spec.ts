import { unreadSection } from './unread-counts';

const counts = [
  { userId: '@u', roomId: '!r', threadId: 'main', notificationCount: 2, highlightCount: 1 },
  { userId: '@u', roomId: '!r', threadId: '$root', notificationCount: 3, highlightCount: 0 },
];

describe('unread counts in /sync', () => {
  it('without unread_thread_notifications, counts the whole room', () => {
    expect(unreadSection(counts, false)).toEqual({
      unread_notifications: { notification_count: 5, highlight_count: 1 },
    });
  });

  it('with it, counts the main timeline in the room and each thread apart', () => {
    expect(unreadSection(counts, true)).toEqual({
      unread_notifications: { notification_count: 2, highlight_count: 1 },
      unread_thread_notifications: { $root: { notification_count: 3, highlight_count: 0 } },
    });
  });

  it('a room with nothing unread counts zero', () => {
    expect(unreadSection([], false)).toEqual({ unread_notifications: { notification_count: 0, highlight_count: 0 } });
  });
});
