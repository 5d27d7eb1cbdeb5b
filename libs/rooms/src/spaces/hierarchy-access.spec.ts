import { serverMaySee, userMaySee } from './hierarchy-access';
import type { RoomSummary } from './room-summary';

const room = (overrides: Partial<RoomSummary>): RoomSummary => ({
  room_id: '!r:x',
  num_joined_members: 1,
  world_readable: false,
  guest_can_join: false,
  join_rule: 'invite',
  room_version: '10',
  ...overrides,
});
const none = new Set<string>();

describe('who sees a room in a hierarchy', () => {
  it.each([
    ['a public room', room({ join_rule: 'public' })],
    ['a knockable room', room({ join_rule: 'knock' })],
    ['a knock_restricted room', room({ join_rule: 'knock_restricted' })],
    ['a world-readable invite-only room', room({ world_readable: true })],
  ])('anyone sees %s', (_what, summary) => {
    expect(userMaySee(summary, undefined, none)).toBe(true);
  });

  it('hides an invite-only room from a stranger but not from its members and invitees', () => {
    expect(userMaySee(room({}), undefined, none)).toBe(false);
    expect(userMaySee(room({}), 'invite', none)).toBe(true);
    expect(userMaySee(room({}), 'join', none)).toBe(true);
  });

  it('does not take a knock join rule in a version without knocking as open', () => {
    expect(userMaySee(room({ join_rule: 'knock', room_version: '6' }), undefined, none)).toBe(false);
  });

  it('shows a restricted room to members of an allowed room', () => {
    const restricted = room({ join_rule: 'restricted', allowed_room_ids: ['!allowed:x'] });
    expect(userMaySee(restricted, undefined, none)).toBe(false);
    expect(userMaySee(restricted, undefined, new Set(['!allowed:x']))).toBe(true);
  });

  it('shows another server an invite-only room only where it has a member', () => {
    expect(serverMaySee(room({}), false, false)).toBe(false);
    expect(serverMaySee(room({}), true, false)).toBe(true);
  });

  it('shows another server a restricted room only where it is known to be in an allowed room', () => {
    const restricted = room({ join_rule: 'restricted', allowed_room_ids: ['!allowed:x'] });
    expect(serverMaySee(restricted, false, false)).toBe(false);
    expect(serverMaySee(restricted, false, true)).toBe(true);
  });
});
