import { hiddenByIgnore, ignoredUsersOf, inviteFromIgnored } from './ignored-users';

describe('ignoring users', () => {
  const ignored = ignoredUsersOf({ ignored_users: { '@troll:x': {} } });

  it('reads the users keyed in ignored_users', () => expect([...ignored]).toEqual(['@troll:x']));
  it('reads no one from content without ignored_users', () => expect(ignoredUsersOf(undefined).size).toBe(0));
  it('reads no one from an ignored_users that is not an object', () =>
    expect(ignoredUsersOf({ ignored_users: ['@troll:x'] }).size).toBe(0));
  it("hides an ignored user's message", () => expect(hiddenByIgnore(ignored, { sender: '@troll:x' })).toBe(true));
  it("keeps an ignored user's state event", () =>
    expect(hiddenByIgnore(ignored, { sender: '@troll:x', state_key: '' })).toBe(false));
  it("keeps another user's message", () => expect(hiddenByIgnore(ignored, { sender: '@friend:x' })).toBe(false));
  it('recognises an invite sent by an ignored user', () =>
    expect(
      inviteFromIgnored(ignored, [{ type: 'm.room.member', state_key: '@me:x', sender: '@troll:x' }], '@me:x'),
    ).toBe(true));
  it('lets through an invite from someone else', () =>
    expect(
      inviteFromIgnored(ignored, [{ type: 'm.room.member', state_key: '@me:x', sender: '@friend:x' }], '@me:x'),
    ).toBe(false));
});
