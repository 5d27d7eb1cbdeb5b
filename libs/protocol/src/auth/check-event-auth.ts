import { computeEventId, roomIdFromCreateEvent } from '../event-ids';
import { referencedIds, type JsonObject, type Pdu } from '../events';
import { isValidHistoricalUserId, serverNameOf } from '../identifiers';
import { findRoomVersion, type RoomVersion } from '../room-versions';
import { ALLOW, malformed, reject } from './decision';
import { checkPowerLevelsChange } from './power-levels-change';
import { parsePowerLevels, powerLevelOf, requiredPowerLevelForEvent } from './power-levels';
import { thirdPartyInviteSignatureMatches } from './third-party-invite';
import type { AuthDecision, AuthStateLookup } from './types';

/**
 * The authorization rules of every room version, as one function
 * (rooms/v1.md ... v12.md "Authorization rules"). `state` is what the event
 * is checked against: its auth events, the state before it, or the current
 * state (soft-fail). Rule numbers in rejections follow rooms/v12.md; the
 * differences of older versions are switched by the room version registry.
 *
 * Not checked here: signatures (including the join_authorised_via_users_server
 * server's, rule 5.2.1: see requiredSigners/verifyEventSignatures) and the
 * auth_events list itself (rule 3: see checkAuthEventsShape).
 */
export function checkEventAuth(version: RoomVersion, event: Pdu, state: AuthStateLookup): AuthDecision {
  if (event.type === 'm.room.create' && event.state_key === '') return checkCreate(version, event);

  const create = state('m.room.create', '');
  if (!create) return reject('2 room_id', 'the room has no m.room.create event');
  if (version.roomIdFromCreateEvent && event.room_id !== roomIdFromCreateEvent(version, create)) {
    return reject('2 room_id', "room_id is not the create event's ID");
  }
  if (create.content['m.federate'] === false && serverNameOf(event.sender) !== serverNameOf(create.sender)) {
    return reject('4 m.federate', 'the room does not federate and the sender is on another server');
  }
  if (version.specialCaseAliasesAuth && event.type === 'm.room.aliases') return checkAliases(event);
  if (event.type === 'm.room.member') return checkMembership(version, event, state, create);

  if (membershipOf(state, event.sender) !== 'join')
    return reject('6 sender joined', 'the sender is not joined to the room');
  const senderLevel = powerLevelOf(version, event.sender, state);
  const levels = parsePowerLevels(version, state('m.room.power_levels', '')?.content);

  if (event.type === 'm.room.third_party_invite') {
    return senderLevel >= levels.invite ? ALLOW : reject('7 third_party_invite', 'the sender may not invite');
  }
  if (requiredPowerLevelForEvent(levels, event.type, event.state_key !== undefined) > senderLevel) {
    return reject('8 power level', `the sender's power level is too low to send ${event.type}`);
  }
  if (typeof event.state_key === 'string' && event.state_key.startsWith('@') && event.state_key !== event.sender) {
    return reject('9 state_key', 'state keys starting with @ are reserved for the user they name');
  }
  if (event.type === 'm.room.power_levels') return checkPowerLevelsChange(version, event, state, senderLevel);
  if (!version.redactionAuthDeferred && event.type === 'm.room.redaction')
    return checkRedactionV1(event, levels.redact, senderLevel);
  return ALLOW;
}

/** Rule 1. */
function checkCreate(version: RoomVersion, event: Pdu): AuthDecision {
  if (event.prev_events.length > 0) return malformed('1.1 create', 'm.room.create must not have prev_events');
  if (version.roomIdFromCreateEvent) {
    if (event.room_id !== undefined)
      return malformed('1.2 create', 'm.room.create must not have a room_id in this room version');
  } else if (typeof event.room_id !== 'string' || serverNameOf(event.room_id) !== serverNameOf(event.sender)) {
    return malformed('1.2 create', "the room ID's domain must be the sender's");
  }
  const roomVersion = event.content.room_version;
  if (roomVersion !== undefined && (typeof roomVersion !== 'string' || !findRoomVersion(roomVersion))) {
    return malformed('1.3 create', 'content.room_version is not a known room version');
  }
  if (!version.creatorIsSender && typeof event.content.creator !== 'string')
    return malformed('1.4 create', 'content.creator is missing');
  if (version.privilegedCreators && event.content.additional_creators !== undefined) {
    const extra = event.content.additional_creators;
    if (!Array.isArray(extra) || !extra.every((u) => typeof u === 'string' && isValidHistoricalUserId(u))) {
      return malformed('1.4 create', 'additional_creators must be an array of user IDs');
    }
  }
  return ALLOW;
}

/** v1-v5 rule 4: each server manages its own aliases. */
function checkAliases(event: Pdu): AuthDecision {
  if (event.state_key === undefined) return reject('4.1 aliases', 'm.room.aliases needs a state_key');
  if (serverNameOf(event.sender) !== event.state_key)
    return reject('4.2 aliases', "the state_key must be the sender's server");
  return ALLOW;
}

function membershipOf(state: AuthStateLookup, userId: string): string {
  const membership = state('m.room.member', userId)?.content.membership;
  return typeof membership === 'string' ? membership : 'leave';
}

/** Rule 5. */
function checkMembership(version: RoomVersion, event: Pdu, state: AuthStateLookup, create: Pdu): AuthDecision {
  const target = event.state_key;
  const membership = event.content.membership;
  if (typeof target !== 'string' || typeof membership !== 'string')
    return reject('5.1 member', 'state_key and content.membership are required');

  switch (membership) {
    case 'join':
      return checkJoin(version, event, target, state, create);
    case 'invite':
      return checkInvite(version, event, target, state);
    case 'leave':
      return checkLeave(version, event, target, state);
    case 'ban':
      return checkBan(version, event, target, state);
    case 'knock':
      if (version.knocking) return checkKnock(version, event, target, state);
      return reject('5.8 member', 'knocking is not supported in this room version');
    default:
      return reject('5.8 member', `unknown membership ${membership}`);
  }
}

function joinRuleOf(state: AuthStateLookup): string | undefined {
  const rule = state('m.room.join_rules', '')?.content.join_rule;
  return typeof rule === 'string' ? rule : undefined;
}

/** Rule 5.3. */
function checkJoin(
  version: RoomVersion,
  event: Pdu,
  target: string,
  state: AuthStateLookup,
  create: Pdu,
): AuthDecision {
  const prev = referencedIds(event.prev_events);
  const creator = version.creatorIsSender ? create.sender : create.content.creator;
  if (prev.length === 1 && target === creator && prev[0] === computeEventId(version, create)) return ALLOW;
  if (event.sender !== target) return reject('5.3.2 join', 'users can only join themselves');
  const current = membershipOf(state, target);
  if (current === 'ban') return reject('5.3.3 join', 'the user is banned');

  const rule = joinRuleOf(state);
  const inviteOnly = rule === 'invite' || (version.knocking && rule === 'knock');
  if (inviteOnly)
    return current === 'invite' || current === 'join' ? ALLOW : reject('5.3.4 join', 'the room is invite-only');
  const restricted =
    (version.restrictedJoins && rule === 'restricted') || (version.knockRestricted && rule === 'knock_restricted');
  if (restricted) return checkRestrictedJoin(version, event, current, state);
  if (rule === 'public') return ALLOW;
  return reject('5.3.7 join', 'the room is not public');
}

/** Rule 5.3.5: a joined member who may invite vouches for the join (the allow-list check is theirs to make). */
function checkRestrictedJoin(version: RoomVersion, event: Pdu, current: string, state: AuthStateLookup): AuthDecision {
  if (current === 'join' || current === 'invite') return ALLOW;
  const via = event.content.join_authorised_via_users_server;
  if (typeof via !== 'string' || membershipOf(state, via) !== 'join') {
    return reject('5.3.5.2 join', 'join_authorised_via_users_server must be a joined member');
  }
  const levels = parsePowerLevels(version, state('m.room.power_levels', '')?.content);
  if (powerLevelOf(version, via, state) < levels.invite)
    return reject('5.3.5.2 join', 'the authorising user may not invite');
  return ALLOW;
}

/** Rule 5.4. */
function checkInvite(version: RoomVersion, event: Pdu, target: string, state: AuthStateLookup): AuthDecision {
  const thirdParty = event.content.third_party_invite;
  if (thirdParty !== undefined) return checkThirdPartyInvite(event, target, thirdParty, state);
  if (membershipOf(state, event.sender) !== 'join') return reject('5.4.2 invite', 'the sender is not joined');
  const current = membershipOf(state, target);
  if (current === 'join' || current === 'ban')
    return reject('5.4.3 invite', `the target is already ${current === 'join' ? 'joined' : 'banned'}`);
  const levels = parsePowerLevels(version, state('m.room.power_levels', '')?.content);
  return powerLevelOf(version, event.sender, state) >= levels.invite
    ? ALLOW
    : reject('5.4.5 invite', 'the sender may not invite');
}

/** Rule 5.4.1. */
function checkThirdPartyInvite(event: Pdu, target: string, thirdParty: unknown, state: AuthStateLookup): AuthDecision {
  if (membershipOf(state, target) === 'ban') return reject('5.4.1.1 invite', 'the target is banned');
  const signed = (thirdParty as JsonObject | null)?.signed as JsonObject | undefined;
  if (!signed || typeof signed !== 'object') return reject('5.4.1.2 invite', 'third_party_invite.signed is missing');
  if (typeof signed.mxid !== 'string' || typeof signed.token !== 'string')
    return reject('5.4.1.3 invite', 'signed needs mxid and token');
  if (signed.mxid !== target) return reject('5.4.1.4 invite', 'signed.mxid does not match the state_key');
  const invite = state('m.room.third_party_invite', signed.token);
  if (!invite) return reject('5.4.1.5 invite', 'no m.room.third_party_invite for this token');
  if (invite.sender !== event.sender) return reject('5.4.1.6 invite', 'the sender did not make the third-party invite');
  return thirdPartyInviteSignatureMatches(signed, invite)
    ? ALLOW
    : reject('5.4.1.8 invite', 'no valid signature by the invite keys');
}

/** Rule 5.5. */
function checkLeave(version: RoomVersion, event: Pdu, target: string, state: AuthStateLookup): AuthDecision {
  const current = membershipOf(state, target);
  if (event.sender === target) {
    const canLeave = current === 'invite' || current === 'join' || (version.knocking && current === 'knock');
    return canLeave ? ALLOW : reject('5.5.1 leave', 'the user is not in the room');
  }
  if (membershipOf(state, event.sender) !== 'join') return reject('5.5.2 leave', 'the sender is not joined');
  const levels = parsePowerLevels(version, state('m.room.power_levels', '')?.content);
  const senderLevel = powerLevelOf(version, event.sender, state);
  if (current === 'ban' && senderLevel < levels.ban) return reject('5.5.3 leave', 'the sender may not unban');
  if (senderLevel >= levels.kick && powerLevelOf(version, target, state) < senderLevel) return ALLOW;
  return reject('5.5.5 leave', 'the sender may not kick this user');
}

/** Rule 5.6. */
function checkBan(version: RoomVersion, event: Pdu, target: string, state: AuthStateLookup): AuthDecision {
  if (membershipOf(state, event.sender) !== 'join') return reject('5.6.1 ban', 'the sender is not joined');
  const levels = parsePowerLevels(version, state('m.room.power_levels', '')?.content);
  const senderLevel = powerLevelOf(version, event.sender, state);
  if (senderLevel >= levels.ban && powerLevelOf(version, target, state) < senderLevel) return ALLOW;
  return reject('5.6.3 ban', 'the sender may not ban this user');
}

/** Rule 5.7 (v7+). */
function checkKnock(version: RoomVersion, event: Pdu, target: string, state: AuthStateLookup): AuthDecision {
  const rule = joinRuleOf(state);
  if (!(rule === 'knock' || (version.knockRestricted && rule === 'knock_restricted')))
    return reject('5.7.1 knock', 'the room does not allow knocking');
  if (event.sender !== target) return reject('5.7.2 knock', 'users can only knock for themselves');
  const current = membershipOf(state, target);
  if (current === 'ban' || current === 'invite' || current === 'join')
    return reject('5.7.4 knock', `the user is already ${current}`);
  return ALLOW;
}

/** v1/v2 rule 11: redactions are authorised by the redact level or by coming from the redacted event's server. */
function checkRedactionV1(event: Pdu, redactLevel: number, senderLevel: number): AuthDecision {
  if (senderLevel >= redactLevel) return ALLOW;
  const redactedDomain = typeof event.redacts === 'string' ? serverNameOf(event.redacts) : undefined;
  if (
    redactedDomain !== undefined &&
    typeof event.event_id === 'string' &&
    redactedDomain === serverNameOf(event.event_id)
  )
    return ALLOW;
  return reject('11 redaction', 'the sender may not redact this event');
}
