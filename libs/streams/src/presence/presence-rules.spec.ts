import {
  OFFLINE_AFTER_MS,
  presenceContent,
  REANNOUNCE_AFTER_MS,
  REFRESH_AFTER_MS,
  REMOTE_OFFLINE_AFTER_MS,
  syncPresenceUpdate,
  type PresenceRecord,
} from './presence-rules';

const NOW = 1_700_000_000_000;
const online: PresenceRecord = {
  state: 'online',
  lastActiveTs: NOW - 1_000,
  currentlyActive: true,
  lastSeenTs: NOW - 1_000,
  updatedTs: NOW - 60_000,
};

describe("what a /sync does to the syncing user's presence", () => {
  it('marks a user with no presence yet online, active now', () => {
    expect(syncPresenceUpdate(undefined, 'online', NOW)).toEqual({
      kind: 'change',
      record: { state: 'online', lastActiveTs: NOW, currentlyActive: true, lastSeenTs: NOW },
    });
  });

  it('marks an offline user online, keeping their status message', () => {
    const offline: PresenceRecord = {
      state: 'offline',
      statusMsg: 'back soon',
      lastActiveTs: NOW - 3_600_000,
      currentlyActive: false,
    };
    expect(syncPresenceUpdate(offline, 'online', NOW)).toEqual({
      kind: 'change',
      record: { state: 'online', statusMsg: 'back soon', lastActiveTs: NOW, currentlyActive: true, lastSeenTs: NOW },
    });
  });

  it('marks an online user idle without counting it as activity', () => {
    expect(syncPresenceUpdate(online, 'unavailable', NOW)).toEqual({
      kind: 'change',
      record: { state: 'unavailable', lastActiveTs: online.lastActiveTs, currentlyActive: false, lastSeenTs: NOW },
    });
  });

  it('writes nothing while the user stays in the same state and was seen within a minute', () => {
    expect(syncPresenceUpdate(online, 'online', NOW)).toEqual({ kind: 'none' });
  });

  it('refreshes the timestamps, without a change, once last_active is more than a minute old', () => {
    const stale = { ...online, lastActiveTs: NOW - REFRESH_AFTER_MS - 1 };
    expect(syncPresenceUpdate(stale, 'online', NOW)).toEqual({ kind: 'refresh', lastActiveTs: NOW, lastSeenTs: NOW });
  });

  it("keeps an idle user's last_active when refreshing when they were last seen", () => {
    const idle: PresenceRecord = {
      state: 'unavailable',
      lastActiveTs: NOW - 600_000,
      currentlyActive: false,
      lastSeenTs: NOW - REFRESH_AFTER_MS - 1,
      updatedTs: NOW - 600_000,
    };
    expect(syncPresenceUpdate(idle, 'unavailable', NOW)).toEqual({
      kind: 'refresh',
      lastActiveTs: idle.lastActiveTs,
      lastSeenTs: NOW,
    });
  });

  it('announces an unchanged state again before other servers would time the user out', () => {
    const longAgo = { ...online, lastActiveTs: NOW - REFRESH_AFTER_MS - 1, updatedTs: NOW - REANNOUNCE_AFTER_MS - 1 };
    expect(syncPresenceUpdate(longAgo, 'online', NOW)).toEqual({
      kind: 'change',
      record: { state: 'online', lastActiveTs: NOW, currentlyActive: true, lastSeenTs: NOW },
    });
    expect(REANNOUNCE_AFTER_MS).toBeLessThan(REMOTE_OFFLINE_AFTER_MS);
  });

  it('leaves presence alone for set_presence=offline', () => {
    expect(syncPresenceUpdate(online, 'offline', NOW)).toEqual({ kind: 'none' });
    expect(syncPresenceUpdate(undefined, 'offline', NOW)).toEqual({ kind: 'none' });
  });

  it('times a live client out only well after its refresh period', () => {
    // A client refreshes at most every REFRESH_AFTER_MS, and a long-poll lasts up to a minute on top.
    expect(OFFLINE_AFTER_MS).toBeGreaterThan(2 * REFRESH_AFTER_MS);
  });
});

describe('the m.presence content a client sees', () => {
  it('computes last_active_ago at the time of the answer', () => {
    expect(presenceContent({ ...online, lastActiveTs: NOW - 42_000 }, NOW)).toEqual({
      presence: 'online',
      last_active_ago: 42_000,
      currently_active: true,
    });
  });

  it('carries the status message, and currently_active only while online', () => {
    const away: PresenceRecord = {
      state: 'unavailable',
      statusMsg: 'in a meeting',
      lastActiveTs: NOW - 5,
      currentlyActive: false,
    };
    expect(presenceContent(away, NOW)).toEqual({
      presence: 'unavailable',
      last_active_ago: 5,
      status_msg: 'in a meeting',
    });
  });

  it("never reports a negative last_active_ago for a timestamp ahead of this server's clock", () => {
    expect(presenceContent({ ...online, lastActiveTs: NOW + 500 }, NOW).last_active_ago).toBe(0);
  });
});
