import {
  deleteRule,
  effectiveRules,
  findRule,
  PushRuleError,
  putRule,
  setRuleActions,
  setRuleEnabled,
} from './ruleset-edits';
import { evaluatePushRules } from './evaluate';

const me = '@alice:example.org';
const ids = (rules: ReturnType<typeof effectiveRules>, kind: 'override' | 'room' | 'content') =>
  rules.global[kind].map((r) => r.rule_id);

describe('editing a ruleset (client-server-api "Push Rules: API")', () => {
  it('starts from the server defaults', () => {
    expect(ids(effectiveRules(undefined, me), 'override')[0]).toBe('.m.rule.master');
  });

  it('a new user rule goes first among the user rules, after .m.rule.master', () => {
    const rules = putRule(
      effectiveRules(undefined, me),
      'override',
      'mine',
      { actions: ['notify'], conditions: [] },
      {},
    );
    expect(ids(rules, 'override').slice(0, 2)).toEqual(['.m.rule.master', 'mine']);
  });

  it('before and after place a rule next to a user rule', () => {
    let rules = putRule(effectiveRules(undefined, me), 'content', 'a', { actions: [], pattern: 'a' }, {});
    rules = putRule(rules, 'content', 'b', { actions: [], pattern: 'b' }, { after: 'a' });
    rules = putRule(rules, 'content', 'c', { actions: [], pattern: 'c' }, { before: 'a' });
    expect(ids(rules, 'content')).toEqual(['c', 'a', 'b']);
  });

  it('refuses a rule relative to a missing rule, a dotted rule ID, and a content rule without a pattern', () => {
    const rules = effectiveRules(undefined, me);
    expect(() => putRule(rules, 'content', 'x', { actions: [], pattern: 'x' }, { before: 'nope' })).toThrow(
      PushRuleError,
    );
    expect(() => putRule(rules, 'override', '.m.rule.mine', { actions: [] }, {})).toThrow(
      expect.objectContaining({ errcode: 'M_INVALID_PARAM' }),
    );
    expect(() => putRule(rules, 'content', 'x', { actions: [] }, {})).toThrow(
      expect.objectContaining({ errcode: 'M_BAD_JSON' }),
    );
  });

  it('a room rule with no actions mutes the room (dont_notify is ignored as historical)', () => {
    const rules = putRule(effectiveRules(undefined, me), 'room', '!r:example.org', { actions: ['dont_notify'] }, {});
    const outcome = evaluatePushRules(
      rules.global,
      { room_id: '!r:example.org', sender: '@bob:example.org', type: 'm.room.message', content: { body: 'hi' } },
      { userId: me, memberCount: 3, senderPowerLevel: 0, notificationPowerLevels: {} },
    );
    expect(outcome).toMatchObject({ ruleId: '!r:example.org', notify: false, actions: [] });
  });

  it('defaults can be disabled and given new actions, but not deleted', () => {
    let rules = setRuleEnabled(effectiveRules(undefined, me), 'override', '.m.rule.master', true);
    rules = setRuleActions(rules, 'override', '.m.rule.suppress_notices', ['notify']);
    expect(findRule(rules, 'override', '.m.rule.master').enabled).toBe(true);
    expect(() => deleteRule(rules, 'override', '.m.rule.suppress_notices')).toThrow(PushRuleError);
    expect(() => deleteRule(rules, 'override', 'missing')).toThrow(
      expect.objectContaining({ errcode: 'M_NOT_FOUND', status: 404 }),
    );
  });

  it("stored rules keep the user's changes and gain defaults added since", () => {
    const stored = setRuleEnabled(effectiveRules(undefined, me), 'override', '.m.rule.reaction', false);
    stored.global.override = stored.global.override.filter((r) => r.rule_id !== '.m.rule.suppress_edits');
    const merged = effectiveRules(stored, me);
    expect(findRule(merged, 'override', '.m.rule.reaction').enabled).toBe(false);
    expect(ids(merged, 'override')).toContain('.m.rule.suppress_edits');
  });
});
