import type { AnyObject, JsonObject, JsonValue } from './events';
import type { RedactionAlgorithm, RoomVersion } from './room-versions';

/**
 * The redaction algorithm of each room version (rooms/v1.md, v6.md, v8.md,
 * v9.md, v11.md "Redactions"). Redaction keeps what the auth rules and state
 * resolution need, so a redacted event still authorises and hashes the same.
 */
interface RedactionRules {
  topLevel: ReadonlySet<string>;
  /** Content keys kept per event type; `'*'` keeps the whole content. */
  content: Readonly<Record<string, readonly string[] | '*'>>;
  /** v11: m.room.member keeps content.third_party_invite.signed. */
  keepThirdPartyInviteSigned: boolean;
}

const V1_TOP_LEVEL = [
  'event_id',
  'type',
  'room_id',
  'sender',
  'state_key',
  'content',
  'hashes',
  'signatures',
  'depth',
  'prev_events',
  'prev_state',
  'auth_events',
  'origin',
  'origin_server_ts',
  'membership',
];

const V1_POWER_LEVELS = [
  'ban',
  'events',
  'events_default',
  'kick',
  'redact',
  'state_default',
  'users',
  'users_default',
];

const v1: RedactionRules = {
  topLevel: new Set(V1_TOP_LEVEL),
  content: {
    'm.room.member': ['membership'],
    'm.room.create': ['creator'],
    'm.room.join_rules': ['join_rule'],
    'm.room.power_levels': V1_POWER_LEVELS,
    'm.room.aliases': ['aliases'],
    'm.room.history_visibility': ['history_visibility'],
  },
  keepThirdPartyInviteSigned: false,
};

/** v6: m.room.aliases loses its special meaning. */
const { 'm.room.aliases': _aliases, ...v6Content } = v1.content;
const v6: RedactionRules = { ...v1, content: v6Content };

/** v8: join rules keep `allow` (restricted joins). */
const v8: RedactionRules = { ...v6, content: { ...v6.content, 'm.room.join_rules': ['join_rule', 'allow'] } };

/** v9: membership keeps join_authorised_via_users_server. */
const v9: RedactionRules = {
  ...v8,
  content: { ...v8.content, 'm.room.member': ['membership', 'join_authorised_via_users_server'] },
};

/**
 * v11: `origin`, `membership` and `prev_state` are no longer kept; create keeps
 * everything; power levels keep `invite`; redactions keep `redacts`.
 */
const v11: RedactionRules = {
  topLevel: new Set(V1_TOP_LEVEL.filter((k) => !['origin', 'membership', 'prev_state'].includes(k))),
  content: {
    ...v9.content,
    'm.room.create': '*',
    'm.room.power_levels': [...V1_POWER_LEVELS, 'invite'],
    'm.room.redaction': ['redacts'],
  },
  keepThirdPartyInviteSigned: true,
};

const RULES: Record<RedactionAlgorithm, RedactionRules> = { v1, v6, v8, v9, v11 };

/** The event as the room version's redaction algorithm leaves it. Does not modify its input. */
export function redactEvent<T extends AnyObject>(version: RoomVersion, event: T): T {
  const rules = RULES[version.redaction];
  const redacted: AnyObject = {};
  for (const key of Object.keys(event)) {
    if (rules.topLevel.has(key)) redacted[key] = event[key];
  }
  const content = (event.content ?? {}) as JsonObject;
  redacted.content = redactContent(rules, String(event.type), content);
  return redacted as T;
}

function redactContent(rules: RedactionRules, type: string, content: JsonObject): JsonObject {
  // Own keys only: an event type such as "toString" must not find Object.prototype's.
  const kept = Object.hasOwn(rules.content, type) ? rules.content[type] : undefined;
  if (kept === '*') return content;
  const out: JsonObject = {};
  for (const key of kept ?? []) {
    if (key in content) out[key] = content[key];
  }
  if (type === 'm.room.member' && rules.keepThirdPartyInviteSigned) {
    const signed = (content.third_party_invite as JsonObject | undefined)?.signed as JsonValue | undefined;
    if (signed !== undefined && typeof content.third_party_invite === 'object') out.third_party_invite = { signed };
  }
  return out;
}
