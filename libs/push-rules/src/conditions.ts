import { containsWord, globMatches } from './glob';
import { propertyAt } from './property-path';
import type { PushCondition } from './rules';

/** What the evaluator knows of the room and the user besides the event itself. */
export interface EvaluationContext {
  /** The user the rules belong to. */
  userId: string;
  /** Their display name in the room, for the deprecated contains_display_name. */
  displayName?: string;
  /** Joined members of the room now. */
  memberCount: number;
  /** The sender's power level in the room. */
  senderPowerLevel: number;
  /** The power levels' `notifications` object (key -> level required); absent keys default to 50. */
  notificationPowerLevels: Record<string, unknown>;
}

export type PushEvent = Record<string, unknown>;

/** Integers the spec lets a condition compare: canonical JSON's range. */
function isCanonicalScalar(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isSafeInteger(value))
  );
}

function eventMatch(condition: PushCondition, event: PushEvent): boolean {
  if (typeof condition.key !== 'string' || typeof condition.pattern !== 'string') return false;
  const value = propertyAt(event, condition.key);
  if (typeof value !== 'string') return false;
  return globMatches(condition.pattern, value, condition.key === 'content.body');
}

function eventPropertyIs(condition: PushCondition, event: PushEvent): boolean {
  if (typeof condition.key !== 'string' || !isCanonicalScalar(condition.value)) return false;
  const value = propertyAt(event, condition.key);
  return isCanonicalScalar(value) && value === condition.value;
}

function eventPropertyContains(condition: PushCondition, event: PushEvent): boolean {
  if (typeof condition.key !== 'string' || !isCanonicalScalar(condition.value)) return false;
  const value = propertyAt(event, condition.key);
  return Array.isArray(value) && value.some((item) => isCanonicalScalar(item) && item === condition.value);
}

function containsDisplayName(event: PushEvent, context: EvaluationContext): boolean {
  const body = propertyAt(event, 'content.body');
  if (!context.displayName || typeof body !== 'string') return false;
  return containsWord(context.displayName, body);
}

/** `is`: a decimal integer optionally prefixed by ==, <, >, >= or <=. */
function roomMemberCount(condition: PushCondition, context: EvaluationContext): boolean {
  const match = /^(==|<=|>=|<|>)?(\d+)$/.exec(condition.is ?? '');
  if (!match) return false;
  const n = Number(match[2]);
  const count = context.memberCount;
  switch (match[1] ?? '==') {
    case '<':
      return count < n;
    case '>':
      return count > n;
    case '<=':
      return count <= n;
    case '>=':
      return count >= n;
    default:
      return count === n;
  }
}

function senderNotificationPermission(condition: PushCondition, context: EvaluationContext): boolean {
  if (typeof condition.key !== 'string') return false;
  const required = context.notificationPowerLevels[condition.key];
  // m.room.power_levels: `notifications.room` defaults to 50.
  const level = typeof required === 'number' ? required : 50;
  return context.senderPowerLevel >= level;
}

/** Whether one condition holds; an unrecognised kind never does (client-server-api "Conditions"). */
export function conditionHolds(condition: PushCondition, event: PushEvent, context: EvaluationContext): boolean {
  switch (condition.kind) {
    case 'event_match':
      return eventMatch(condition, event);
    case 'event_property_is':
      return eventPropertyIs(condition, event);
    case 'event_property_contains':
      return eventPropertyContains(condition, event);
    case 'contains_display_name':
      return containsDisplayName(event, context);
    case 'room_member_count':
      return roomMemberCount(condition, context);
    case 'sender_notification_permission':
      return senderNotificationPermission(condition, context);
    default:
      return false;
  }
}
