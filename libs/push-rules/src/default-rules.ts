import type { PushAction, PushRule, Ruleset } from './rules';

const notify: PushAction = 'notify';
const sound = (value: string): PushAction => ({ set_tweak: 'sound', value });
/** A highlight tweak without a value means true (client-server-api "Actions"). */
const highlight: PushAction = { set_tweak: 'highlight' };

const rule = (
  rule_id: string,
  conditions: PushRule['conditions'],
  actions: PushAction[],
  enabled = true,
): PushRule => ({ rule_id, default: true, enabled, conditions, actions });
const typeIs = (pattern: string) => ({ kind: 'event_match', key: 'type', pattern });
const stateKeyEmpty = { kind: 'event_match', key: 'state_key', pattern: '' };

/**
 * The server-default rules of client-server-api "Predefined Rules" (v1.19:
 * the legacy body-matching mention rules were removed in v1.17), in the
 * spec's order, for one user. `.m.rule.master` is always first of all.
 */
export function defaultRuleset(userId: string): Ruleset {
  return {
    override: [
      rule('.m.rule.master', [], [], false),
      rule('.m.rule.suppress_notices', [{ kind: 'event_match', key: 'content.msgtype', pattern: 'm.notice' }], []),
      rule(
        '.m.rule.invite_for_me',
        [
          typeIs('m.room.member'),
          { kind: 'event_match', key: 'content.membership', pattern: 'invite' },
          { kind: 'event_match', key: 'state_key', pattern: userId },
        ],
        [notify, sound('default')],
      ),
      rule('.m.rule.member_event', [typeIs('m.room.member')], []),
      rule(
        '.m.rule.is_user_mention',
        [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
        [notify, sound('default'), highlight],
      ),
      rule(
        '.m.rule.is_room_mention',
        [
          { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
          { kind: 'sender_notification_permission', key: 'room' },
        ],
        [notify, highlight],
      ),
      rule('.m.rule.tombstone', [typeIs('m.room.tombstone'), stateKeyEmpty], [notify, highlight]),
      rule('.m.rule.reaction', [typeIs('m.reaction')], []),
      rule('.m.rule.room.server_acl', [typeIs('m.room.server_acl'), stateKeyEmpty], []),
      rule(
        '.m.rule.suppress_edits',
        [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }],
        [],
      ),
    ],
    content: [],
    room: [],
    sender: [],
    underride: [
      rule('.m.rule.call', [typeIs('m.call.invite')], [notify, sound('ring')]),
      rule(
        '.m.rule.encrypted_room_one_to_one',
        [{ kind: 'room_member_count', is: '2' }, typeIs('m.room.encrypted')],
        [notify, sound('default')],
      ),
      rule(
        '.m.rule.room_one_to_one',
        [{ kind: 'room_member_count', is: '2' }, typeIs('m.room.message')],
        [notify, sound('default')],
      ),
      rule('.m.rule.message', [typeIs('m.room.message')], [notify]),
      rule('.m.rule.encrypted', [typeIs('m.room.encrypted')], [notify]),
    ],
  };
}
