import {
  membershipAfterEvent,
  membershipAtEvent,
  parseHistoryVisibility,
  serverMaySeeEvent,
  userMaySeeEvent,
  visibilityAtEvent,
  type StateBeforeEvent,
  type VisibilityEvent,
} from './history-visibility';

const ALICE = '@alice:a.test';
const message: VisibilityEvent = { type: 'm.room.message', content: { body: 'hi' } };
const state = (historyVisibility: string | undefined, memberships: Record<string, string> = {}): StateBeforeEvent => ({
  historyVisibility,
  memberships: new Map(Object.entries(memberships)),
});
const member = (userId: string, membership: string): VisibilityEvent => ({
  type: 'm.room.member',
  state_key: userId,
  content: { membership },
});
const visibilityChange = (to: string): VisibilityEvent => ({
  type: 'm.room.history_visibility',
  state_key: '',
  content: { history_visibility: to },
});

describe('history visibility (client-server-api "Room History Visibility")', () => {
  describe('rule 1: world_readable', () => {
    it('allows a user who was never in the room', () =>
      expect(userMaySeeEvent(ALICE, message, state('world_readable'), false)).toBe(true));
  });

  describe('rule 2: joined at the event', () => {
    it.each(['shared', 'invited', 'joined'])('allows a member joined at the event under %s', (v) =>
      expect(userMaySeeEvent(ALICE, message, state(v, { [ALICE]: 'join' }), false)).toBe(true),
    );
  });

  describe('rule 3: shared', () => {
    it('allows a user who joined after the event', () =>
      expect(userMaySeeEvent(ALICE, message, state('shared'), true)).toBe(true));
    it('denies a user who never joined after the event', () =>
      expect(userMaySeeEvent(ALICE, message, state('shared', { [ALICE]: 'leave' }), false)).toBe(false));
    it('denies a non-member who never joined under shared', () =>
      expect(userMaySeeEvent(ALICE, message, state('shared'), false)).toBe(false));
  });

  describe('rule 4: invited', () => {
    it('allows a user invited at the event', () =>
      expect(userMaySeeEvent(ALICE, message, state('invited', { [ALICE]: 'invite' }), true)).toBe(true));
    it('denies a user who joined later but was not yet invited', () =>
      expect(userMaySeeEvent(ALICE, message, state('invited'), true)).toBe(false));
    it('denies a user who left before the event', () =>
      expect(userMaySeeEvent(ALICE, message, state('invited', { [ALICE]: 'leave' }), true)).toBe(false));
  });

  describe('rule 5: otherwise deny', () => {
    it('denies under joined a user who joined only after the event', () =>
      expect(userMaySeeEvent(ALICE, message, state('joined'), true)).toBe(false));
    it('denies under joined a user invited at the event', () =>
      expect(userMaySeeEvent(ALICE, message, state('joined', { [ALICE]: 'invite' }), true)).toBe(false));
    it('denies a banned user under joined', () =>
      expect(userMaySeeEvent(ALICE, message, state('joined', { [ALICE]: 'ban' }), false)).toBe(false));
    it('denies a knocking user under invited', () =>
      expect(userMaySeeEvent(ALICE, message, state('invited', { [ALICE]: 'knock' }), false)).toBe(false));
  });

  describe('the setting in force', () => {
    it('is shared when none is set', () => expect(parseHistoryVisibility(undefined)).toBe('shared'));
    it('is shared when the value is not understood', () => expect(parseHistoryVisibility('everyone')).toBe('shared'));
    it('is the one before the event, not a later one', () =>
      expect(visibilityAtEvent(message, 'joined')).toBe('joined'));
    it('judges a change by the wider of the old and new values', () => {
      expect(visibilityAtEvent(visibilityChange('joined'), 'shared')).toBe('shared');
      expect(visibilityAtEvent(visibilityChange('world_readable'), 'joined')).toBe('world_readable');
    });
  });

  describe('membership at the event', () => {
    it("is the state's for another user's member event", () =>
      expect(membershipAtEvent(member('@bob:a.test', 'join'), ALICE, 'leave')).toBe('leave'));
    it("is the event's for the user's own join", () =>
      expect(membershipAtEvent(member(ALICE, 'join'), ALICE, undefined)).toBe('join'));
    it('stays join for the leave that ends it', () =>
      expect(membershipAtEvent(member(ALICE, 'leave'), ALICE, 'join')).toBe('join'));
    it('lets a user see their own join under joined', () =>
      expect(userMaySeeEvent(ALICE, member(ALICE, 'join'), state('joined'), false)).toBe(true));
    it('lets a user see their own leave under joined', () =>
      expect(userMaySeeEvent(ALICE, member(ALICE, 'leave'), state('joined', { [ALICE]: 'join' }), false)).toBe(true));
    it('lets a user see the leave that rejects their invite under joined', () =>
      expect(userMaySeeEvent(ALICE, member(ALICE, 'leave'), state('joined', { [ALICE]: 'invite' }), false)).toBe(true));
    it('lets a user see the leave that withdraws their knock under joined', () =>
      expect(userMaySeeEvent(ALICE, member(ALICE, 'leave'), state('joined', { [ALICE]: 'knock' }), false)).toBe(true));
    it("hides from a user another user's leave under joined after their own", () =>
      expect(userMaySeeEvent(ALICE, member('@bob:a.test', 'leave'), state('joined', { [ALICE]: 'leave' }), false)).toBe(
        false,
      ));
    it('hides events after the leave under joined', () =>
      expect(userMaySeeEvent(ALICE, message, state('joined', { [ALICE]: 'leave' }), false)).toBe(false));
  });

  describe('unsigned.membership', () => {
    it('is leave for a user with no membership at the event', () =>
      expect(membershipAfterEvent(message, ALICE, undefined)).toBe('leave'));
    it("is the state's for another event", () => expect(membershipAfterEvent(message, ALICE, 'invite')).toBe('invite'));
    it("counts the user's own member event with what it sets", () =>
      expect(membershipAfterEvent(member(ALICE, 'leave'), ALICE, 'join')).toBe('leave'));
  });

  describe('servers', () => {
    it('see shared history of a room one of their users joined later', () =>
      expect(serverMaySeeEvent('a.test', message, state('shared'), true)).toBe(true));
    it('do not see shared history none of their users ever joined after', () =>
      expect(serverMaySeeEvent('a.test', message, state('shared'), false)).toBe(false));
    it('see joined history while one of their users is joined', () =>
      expect(
        serverMaySeeEvent('a.test', message, state('joined', { '@bob:a.test': 'leave', [ALICE]: 'join' }), false),
      ).toBe(true));
    it('do not see joined history after their users left', () =>
      expect(serverMaySeeEvent('a.test', message, state('joined', { [ALICE]: 'leave' }), true)).toBe(false));
    it("see their own user's join under joined", () =>
      expect(serverMaySeeEvent('a.test', member(ALICE, 'join'), state('joined'), true)).toBe(true));
    it('see world_readable history without any user', () =>
      expect(serverMaySeeEvent('b.test', message, state('world_readable'), false)).toBe(true));
    it('see invited history while one of their users is invited', () =>
      expect(serverMaySeeEvent('a.test', message, state('invited', { [ALICE]: 'invite' }), false)).toBe(true));
  });
});
