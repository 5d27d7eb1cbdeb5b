import { conditionHolds, type EvaluationContext, type PushEvent } from './conditions';
import { globMatches } from './glob';
import { propertyAt } from './property-path';
import { RULE_KINDS, type PushAction, type PushRule, type RuleKind, type Ruleset } from './rules';

/** What the rule that matched asks for. */
export interface PushOutcome {
  ruleId: string;
  kind: RuleKind;
  /** The actions without the historical `dont_notify` and `coalesce`. */
  actions: PushAction[];
  notify: boolean;
  highlight: boolean;
}

/** client-server-api "Historical Actions": ignored wherever they appear. */
const HISTORICAL_ACTIONS = new Set(['dont_notify', 'coalesce']);

function ruleMatches(kind: RuleKind, rule: PushRule, event: PushEvent, context: EvaluationContext): boolean {
  switch (kind) {
    case 'content': {
      const body = propertyAt(event, 'content.body');
      return typeof rule.pattern === 'string' && typeof body === 'string' && globMatches(rule.pattern, body, true);
    }
    case 'room':
      return event.room_id === rule.rule_id;
    case 'sender':
      return event.sender === rule.rule_id;
    default:
      return (rule.conditions ?? []).every((condition) => conditionHolds(condition, event, context));
  }
}

/** A highlight tweak without a value is true; no highlight tweak is false. */
function highlightOf(actions: PushAction[]): boolean {
  const tweak = actions.find(
    (a): a is { set_tweak: string; value?: unknown } => typeof a === 'object' && a.set_tweak === 'highlight',
  );
  return tweak !== undefined && (tweak.value === undefined || tweak.value === true);
}

/**
 * The first enabled rule, in kind order then list order, that matches the
 * event for the ruleset's owner (client-server-api "Push Rules"), or
 * undefined when none does (no notification). The caller leaves out the
 * owner's own events, which never notify.
 */
export function evaluatePushRules(
  ruleset: Ruleset,
  event: PushEvent,
  context: EvaluationContext,
): PushOutcome | undefined {
  for (const kind of RULE_KINDS) {
    for (const rule of ruleset[kind]) {
      if (!rule.enabled || !ruleMatches(kind, rule, event, context)) continue;
      const actions = rule.actions.filter((a) => typeof a !== 'string' || !HISTORICAL_ACTIONS.has(a));
      return {
        ruleId: rule.rule_id,
        kind,
        actions,
        notify: actions.includes('notify'),
        highlight: highlightOf(actions),
      };
    }
  }
  return undefined;
}
