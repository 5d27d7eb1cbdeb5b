import { defaultRuleset } from './default-rules';
import {
  isServerDefault,
  RULE_KINDS,
  type PushAction,
  type PushCondition,
  type PushRule,
  type PushRules,
  type RuleKind,
  type Ruleset,
} from './rules';

/** A refused edit, with the errcode and status client-server-api "Push Rules: API" gives it. */
export class PushRuleError extends Error {
  constructor(
    readonly errcode: 'M_NOT_FOUND' | 'M_INVALID_PARAM' | 'M_UNKNOWN' | 'M_BAD_JSON',
    message: string,
    readonly status: 400 | 404,
  ) {
    super(message);
  }
}

export function isRuleKind(kind: string): kind is RuleKind {
  return (RULE_KINDS as readonly string[]).includes(kind);
}

/**
 * A user's rules as stored (m.push_rules account data, or nothing yet)
 * merged with today's server defaults: the user's own rules keep their
 * order, each server-default rule keeps the user's `enabled` and `actions`,
 * and defaults added since the user last changed a rule appear. Within a
 * kind the user's rules come before the defaults (they have a higher
 * priority), except `.m.rule.master`, which is always first.
 */
export function effectiveRules(stored: unknown, userId: string): PushRules {
  const saved = (stored as Partial<PushRules> | undefined)?.global;
  const defaults = defaultRuleset(userId);
  const global = {} as Ruleset;
  for (const kind of RULE_KINDS) {
    const savedRules = Array.isArray(saved?.[kind]) ? (saved[kind] as PushRule[]) : [];
    const own = savedRules.filter((r) => typeof r?.rule_id === 'string' && !isServerDefault(r.rule_id));
    const merged = defaults[kind].map((d) => {
      const mine = savedRules.find((r) => r?.rule_id === d.rule_id);
      return mine
        ? { ...d, enabled: mine.enabled !== false, actions: Array.isArray(mine.actions) ? mine.actions : d.actions }
        : d;
    });
    const master = merged.filter((r) => r.rule_id === '.m.rule.master');
    global[kind] = [
      ...master,
      ...own.map((r) => ({ ...r, default: false })),
      ...merged.filter((r) => r.rule_id !== '.m.rule.master'),
    ];
  }
  return { global };
}

export function findRule(rules: PushRules, kind: RuleKind, ruleId: string): PushRule {
  const rule = rules.global[kind].find((r) => r.rule_id === ruleId);
  if (!rule) throw new PushRuleError('M_NOT_FOUND', 'The push rule was not found.', 404);
  return rule;
}

export interface NewRule {
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

function checkActions(actions: unknown): PushAction[] {
  if (
    !Array.isArray(actions) ||
    !actions.every(
      (a) =>
        typeof a === 'string' ||
        (typeof a === 'object' && a !== null && typeof (a as { set_tweak?: unknown }).set_tweak === 'string'),
    )
  ) {
    throw new PushRuleError('M_BAD_JSON', 'actions must be a list of strings and set_tweak objects', 400);
  }
  return actions as PushAction[];
}

/** The rule a PUT describes, checked for its kind (push_rule.yaml). */
function ruleFromBody(kind: RuleKind, ruleId: string, body: Record<string, unknown>): PushRule {
  const actions = checkActions(body.actions);
  const rule: PushRule = { rule_id: ruleId, default: false, enabled: true, actions };
  if (kind === 'content') {
    if (typeof body.pattern !== 'string') throw new PushRuleError('M_BAD_JSON', 'A content rule needs a pattern', 400);
    rule.pattern = body.pattern;
  } else if (kind === 'override' || kind === 'underride') {
    const conditions = body.conditions ?? [];
    if (
      !Array.isArray(conditions) ||
      !conditions.every(
        (c) => typeof c === 'object' && c !== null && typeof (c as { kind?: unknown }).kind === 'string',
      )
    ) {
      throw new PushRuleError('M_BAD_JSON', 'conditions must be a list of objects with a kind', 400);
    }
    rule.conditions = conditions as PushCondition[];
  }
  return rule;
}

/**
 * PUT /pushrules/global/{kind}/{ruleId}: adds or replaces a user rule.
 * A new rule goes before `before`, or after `after` (`before` wins when
 * both are given), else first among the user's rules of its kind; a
 * replaced rule keeps its place unless one is asked for.
 */
export function putRule(
  rules: PushRules,
  kind: RuleKind,
  ruleId: string,
  body: Record<string, unknown>,
  position: { before?: string; after?: string },
): PushRules {
  if (isServerDefault(ruleId) || ruleId.includes('/') || ruleId.includes('\\') || ruleId === '') {
    throw new PushRuleError('M_INVALID_PARAM', 'rule_id may not start with a dot or hold a slash or backslash', 400);
  }
  const rule = ruleFromBody(kind, ruleId, body);
  const list = rules.global[kind];
  const existing = list.findIndex((r) => r.rule_id === ruleId);
  const others = list.filter((r) => r.rule_id !== ruleId);
  const anchorId = position.before ?? position.after;
  let index: number;
  if (anchorId !== undefined) {
    const anchor = others.findIndex((r) => r.rule_id === anchorId);
    if (anchor < 0 || isServerDefault(anchorId))
      throw new PushRuleError('M_UNKNOWN', `before/after rule not found: ${anchorId}`, 400);
    index = position.before !== undefined ? anchor : anchor + 1;
  } else if (existing >= 0) {
    index = existing;
  } else {
    // The most important user rule of its kind: right after a leading .m.rule.master.
    index = others.findIndex((r) => r.rule_id !== '.m.rule.master');
    if (index < 0) index = others.length;
  }
  const updated = [
    ...others.slice(0, index),
    existing >= 0 ? { ...rule, enabled: list[existing].enabled } : rule,
    ...others.slice(index),
  ];
  return { global: { ...rules.global, [kind]: updated } };
}

/** DELETE: only a user's own rules can go; a server-default rule can only be disabled. */
export function deleteRule(rules: PushRules, kind: RuleKind, ruleId: string): PushRules {
  const rule = findRule(rules, kind, ruleId);
  if (rule.default) throw new PushRuleError('M_INVALID_PARAM', 'Server-default rules cannot be deleted', 400);
  return { global: { ...rules.global, [kind]: rules.global[kind].filter((r) => r.rule_id !== ruleId) } };
}

function updateRule(rules: PushRules, kind: RuleKind, ruleId: string, change: Partial<PushRule>): PushRules {
  findRule(rules, kind, ruleId);
  return {
    global: {
      ...rules.global,
      [kind]: rules.global[kind].map((r) => (r.rule_id === ruleId ? { ...r, ...change } : r)),
    },
  };
}

export function setRuleEnabled(rules: PushRules, kind: RuleKind, ruleId: string, enabled: unknown): PushRules {
  if (typeof enabled !== 'boolean') throw new PushRuleError('M_BAD_JSON', 'enabled must be a boolean', 400);
  return updateRule(rules, kind, ruleId, { enabled });
}

export function setRuleActions(rules: PushRules, kind: RuleKind, ruleId: string, actions: unknown): PushRules {
  return updateRule(rules, kind, ruleId, { actions: checkActions(actions) });
}

/**
 * A room's own rules copied for its replacement after an upgrade, as other homeservers do (the spec
 * leaves it to servers): the `room` rule named after the old room, and override and underride rules
 * matching the old room's ID whose rule ID names that room, each with the ID and conditions of the
 * new room, after the rule it copies. A rule the new room has already is kept as it is.
 */
export function copyRoomRules(rules: PushRules, oldRoomId: string, newRoomId: string): PushRules {
  const global = { ...rules.global };
  for (const kind of ['override', 'room', 'underride'] as const) {
    const copied: PushRule[] = [];
    for (const rule of global[kind]) {
      copied.push(rule);
      const forOldRoom =
        kind === 'room'
          ? rule.rule_id === oldRoomId
          : !rule.default && rule.rule_id.includes(oldRoomId) && matchesRoom(rule, oldRoomId);
      const ruleId = rule.rule_id.split(oldRoomId).join(newRoomId);
      if (!forOldRoom || global[kind].some((r) => r.rule_id === ruleId)) continue;
      const conditions = rule.conditions?.map((c) =>
        isRoomCondition(c, oldRoomId) ? { ...c, pattern: newRoomId } : c,
      );
      copied.push({ ...rule, rule_id: ruleId, ...(conditions ? { conditions } : {}) });
    }
    global[kind] = copied;
  }
  return { global };
}

function isRoomCondition(condition: PushCondition, roomId: string): boolean {
  return condition.kind === 'event_match' && condition.key === 'room_id' && condition.pattern === roomId;
}

function matchesRoom(rule: PushRule, roomId: string): boolean {
  return (rule.conditions ?? []).some((c) => isRoomCondition(c, roomId));
}
