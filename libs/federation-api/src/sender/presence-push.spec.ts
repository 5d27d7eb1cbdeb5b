import { changedPresence, presenceDedupKey, presencePush } from './presence-push';

describe('the m.presence EDU for our users', () => {
  const change = {
    userId: '@alice:ours.example',
    position: '7',
    state: 'online' as const,
    lastActiveTs: 1_000,
    currentlyActive: true,
  };

  it('pushes a change with last_active_ago as of now', () => {
    expect(presencePush([changedPresence({ ...change, statusMsg: 'here' })], 3_500)).toEqual({
      edu_type: 'm.presence',
      content: {
        push: [
          {
            user_id: '@alice:ours.example',
            presence: 'online',
            last_active_ago: 2_500,
            status_msg: 'here',
            currently_active: true,
          },
        ],
      },
    });
  });

  it('always says currently_active, whose default in the EDU is false', () => {
    const edu = presencePush([changedPresence({ ...change, state: 'offline', currentlyActive: false })], 1_000)
      .content as { push: Array<Record<string, unknown>> };
    expect(edu.push[0].currently_active).toBe(false);
  });

  it('is queued once per change however many senders see it', () => {
    expect(presenceDedupKey(change)).toBe(presenceDedupKey({ ...change }));
    expect(presenceDedupKey(change)).not.toBe(presenceDedupKey({ ...change, position: '8' }));
  });
});
