/**
 * Push rules as client-server-api "Push Notifications" defines them
 * (schema: data/api/client-server/definitions/push_rule.yaml).
 */
export type RuleKind = 'override' | 'content' | 'room' | 'sender' | 'underride';

/** In the order they are checked: client-server-api "Push Rules". */
export const RULE_KINDS: readonly RuleKind[] = ['override', 'content', 'room', 'sender', 'underride'];

export type PushAction = string | { set_tweak: string; value?: unknown };

export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  value?: unknown;
  is?: string;
}

export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  /** Content rules only. */
  pattern?: string;
}

export type Ruleset = Record<RuleKind, PushRule[]>;

/** The content of m.push_rules and the answer of GET /pushrules/. */
export interface PushRules {
  global: Ruleset;
}

/** Server-default rules are those whose ID starts with a dot. */
export function isServerDefault(ruleId: string): boolean {
  return ruleId.startsWith('.');
}
