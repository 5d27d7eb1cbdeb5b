import { defaultRuleset } from './default-rules';
import { evaluatePushRules, type PushOutcome } from './evaluate';
import type { EvaluationContext } from './conditions';

const me = '@alice:example.org';
const room = '!room:example.org';
const group: EvaluationContext = { userId: me, memberCount: 5, senderPowerLevel: 0, notificationPowerLevels: {} };
const oneToOne: EvaluationContext = { ...group, memberCount: 2 };

function outcome(event: Record<string, unknown>, context = group): PushOutcome | undefined {
  return evaluatePushRules(defaultRuleset(me), { room_id: room, sender: '@bob:example.org', ...event }, context);
}

const message = (content: Record<string, unknown> = {}) => ({
  type: 'm.room.message',
  content: { msgtype: 'm.text', body: 'hello', ...content },
});

describe('the server-default push rules (client-server-api "Predefined Rules")', () => {
  it('.m.rule.master is disabled by default and, enabled, silences everything', () => {
    const rules = defaultRuleset(me);
    expect(rules.override[0]).toMatchObject({ rule_id: '.m.rule.master', enabled: false });
    rules.override[0].enabled = true;
    expect(evaluatePushRules(rules, { room_id: room, sender: '@bob:example.org', ...message() }, group)).toMatchObject({
      ruleId: '.m.rule.master',
      notify: false,
    });
  });

  it('.m.rule.suppress_notices: an m.notice does not notify', () => {
    expect(outcome(message({ msgtype: 'm.notice' }))).toMatchObject({
      ruleId: '.m.rule.suppress_notices',
      notify: false,
    });
  });

  it('.m.rule.invite_for_me: an invite of the user notifies with a sound, no highlight', () => {
    expect(outcome({ type: 'm.room.member', state_key: me, content: { membership: 'invite' } })).toMatchObject({
      ruleId: '.m.rule.invite_for_me',
      notify: true,
      highlight: false,
    });
  });

  it('.m.rule.member_event: other membership changes do not notify', () => {
    expect(
      outcome({ type: 'm.room.member', state_key: '@carol:example.org', content: { membership: 'join' } }),
    ).toMatchObject({ ruleId: '.m.rule.member_event', notify: false });
  });

  it('.m.rule.is_user_mention: the user in m.mentions.user_ids highlights', () => {
    expect(outcome(message({ 'm.mentions': { user_ids: [me] } }))).toMatchObject({
      ruleId: '.m.rule.is_user_mention',
      notify: true,
      highlight: true,
    });
  });

  it('a mention of someone else is an ordinary message', () => {
    expect(outcome(message({ 'm.mentions': { user_ids: ['@carol:example.org'] } }))).toMatchObject({
      ruleId: '.m.rule.message',
      highlight: false,
    });
  });

  it('.m.rule.is_room_mention: @room from a sender with the power to notify the room highlights', () => {
    expect(outcome(message({ 'm.mentions': { room: true } }), { ...group, senderPowerLevel: 50 })).toMatchObject({
      ruleId: '.m.rule.is_room_mention',
      highlight: true,
    });
  });

  it('.m.rule.is_room_mention: @room from a sender without that power is an ordinary message', () => {
    expect(outcome(message({ 'm.mentions': { room: true } }), { ...group, senderPowerLevel: 0 })).toMatchObject({
      ruleId: '.m.rule.message',
      highlight: false,
    });
  });

  it('.m.rule.tombstone: a room upgrade highlights', () => {
    expect(
      outcome({ type: 'm.room.tombstone', state_key: '', content: { replacement_room: '!new:example.org' } }),
    ).toMatchObject({ ruleId: '.m.rule.tombstone', highlight: true });
  });

  it('.m.rule.reaction: reactions do not notify', () => {
    expect(
      outcome({
        type: 'm.reaction',
        content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$e', key: '👍' } },
      }),
    ).toMatchObject({ ruleId: '.m.rule.reaction', notify: false });
  });

  it('.m.rule.room.server_acl: ACL changes do not notify', () => {
    expect(outcome({ type: 'm.room.server_acl', state_key: '', content: { allow: ['*'] } })).toMatchObject({
      ruleId: '.m.rule.room.server_acl',
      notify: false,
    });
  });

  it('.m.rule.suppress_edits: a replacement does not notify', () => {
    expect(outcome(message({ 'm.relates_to': { rel_type: 'm.replace', event_id: '$e' } }))).toMatchObject({
      ruleId: '.m.rule.suppress_edits',
      notify: false,
    });
  });

  it('.m.rule.call: a call invite rings', () => {
    expect(outcome({ type: 'm.call.invite', content: {} })).toMatchObject({
      ruleId: '.m.rule.call',
      notify: true,
      actions: ['notify', { set_tweak: 'sound', value: 'ring' }],
    });
  });

  it('.m.rule.encrypted_room_one_to_one: an encrypted event between two notifies with a sound', () => {
    expect(outcome({ type: 'm.room.encrypted', content: {} }, oneToOne)).toMatchObject({
      ruleId: '.m.rule.encrypted_room_one_to_one',
      notify: true,
      highlight: false,
    });
  });

  it('.m.rule.room_one_to_one: a message between two notifies with a sound', () => {
    expect(outcome(message(), oneToOne)).toMatchObject({
      ruleId: '.m.rule.room_one_to_one',
      actions: ['notify', { set_tweak: 'sound', value: 'default' }],
    });
  });

  it('.m.rule.message: a message in a group notifies without sound or highlight', () => {
    expect(outcome(message())).toMatchObject({ ruleId: '.m.rule.message', actions: ['notify'], highlight: false });
  });

  it('.m.rule.encrypted: an encrypted event in a group notifies', () => {
    expect(outcome({ type: 'm.room.encrypted', content: {} })).toMatchObject({
      ruleId: '.m.rule.encrypted',
      notify: true,
    });
  });

  it('no rule matches other events: no notification', () => {
    expect(outcome({ type: 'm.room.topic', state_key: '', content: { topic: 'x' } })).toBeUndefined();
  });

  it('names the legacy body-matching mention rules no more (removed in v1.17)', () => {
    const ids = Object.values(defaultRuleset(me))
      .flat()
      .map((r) => r.rule_id);
    expect(ids).not.toContain('.m.rule.contains_user_name');
    expect(ids).not.toContain('.m.rule.contains_display_name');
    expect(ids).not.toContain('.m.rule.roomnotif');
  });
});
