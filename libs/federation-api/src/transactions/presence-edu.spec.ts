import { presenceUpdateOf } from './presence-edu';

const NOW = 1_700_000_000_000;

describe('an m.presence push entry from another server', () => {
  it("becomes the user's presence, last active the given time before it arrived", () => {
    expect(
      presenceUpdateOf(
        'remote.example',
        {
          user_id: '@bob:remote.example',
          presence: 'unavailable',
          status_msg: 'lunch',
          last_active_ago: 5_000,
          currently_active: false,
        },
        NOW,
      ),
    ).toEqual({
      userId: '@bob:remote.example',
      record: { state: 'unavailable', statusMsg: 'lunch', lastActiveTs: NOW - 5_000, currentlyActive: false },
    });
  });

  it('takes currently_active as false when absent', () => {
    expect(
      presenceUpdateOf(
        'remote.example',
        { user_id: '@bob:remote.example', presence: 'online', last_active_ago: 0 },
        NOW,
      )?.record.currentlyActive,
    ).toBe(false);
  });

  it("is ignored when it is about another server's user", () => {
    expect(
      presenceUpdateOf(
        'remote.example',
        { user_id: '@alice:ours.example', presence: 'online', last_active_ago: 0 },
        NOW,
      ),
    ).toBeUndefined();
  });

  it.each([
    ['an unknown state', { user_id: '@bob:remote.example', presence: 'busy', last_active_ago: 0 }],
    ['no last_active_ago', { user_id: '@bob:remote.example', presence: 'online' }],
    ['a negative last_active_ago', { user_id: '@bob:remote.example', presence: 'online', last_active_ago: -1 }],
    ['no user ID', { presence: 'online', last_active_ago: 0 }],
    ['not an object', 'online'],
  ])('is ignored with %s', (_what, entry) => {
    expect(presenceUpdateOf('remote.example', entry, NOW)).toBeUndefined();
  });
});
