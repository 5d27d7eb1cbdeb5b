import { randomBytes } from 'node:crypto';
import {
  computeEventId,
  signEvent,
  type JsonObject,
  type Pdu,
  type RoomVersion,
  type SigningKey,
} from '@lattice/protocol';

/**
 * Completes a make_join / make_leave / make_knock template for our user: the membership
 * and any extra content, our timestamp, an event ID where the version wants
 * one minted (v1, v2), hashes and our signature.
 */
export function signMembershipTemplate(
  version: RoomVersion,
  template: Partial<Pdu>,
  membership: string,
  content: JsonObject,
  origin: string,
  key: SigningKey,
): { eventId: string; pdu: Pdu } {
  const unsigned = {
    ...template,
    content: { ...(template.content ?? {}), ...content, membership },
    origin_server_ts: Date.now(),
    hashes: { sha256: '' },
    signatures: {},
    ...(version.eventIdFormat === 'origin' && typeof template.event_id !== 'string'
      ? { event_id: `$${randomBytes(12).toString('base64url')}:${origin}` }
      : {}),
  } as Pdu;
  const pdu = signEvent(version, unsigned, origin, key);
  return { eventId: computeEventId(version, pdu), pdu };
}

/** A template offered for `userId`'s own `membership` event in `roomId`, or the reason it is unusable. */
export function templateProblem(
  template: Partial<Pdu> | undefined,
  userId: string,
  roomId: string,
  membership: string,
): string | undefined {
  if (
    template?.type !== 'm.room.member' ||
    template.sender !== userId ||
    template.state_key !== userId ||
    template.room_id !== roomId
  )
    return 'an unusable membership template';
  if (template.content?.membership !== membership)
    return `a template for ${String(template.content?.membership)}, not ${membership}`;
  return undefined;
}
