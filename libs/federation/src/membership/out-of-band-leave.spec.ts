import { computeEventId, generateSigningKey, getRoomVersion, signEvent, type Pdu } from '@lattice/protocol';
import { checkIncomingPdu } from '../events/check-incoming-pdu';
import { outOfBandLeave } from './out-of-band-leave';

const inviter = generateSigningKey();
const ours = generateSigningKey();
const keys = {
  publicKey: async (server: string) => (server === 'there' ? inviter.publicKey : ours.publicKey),
};

/** An invite from `@olga:there` for `@mona:here`, as the inviting server signed it. */
function invite(versionId: string) {
  const version = getRoomVersion(versionId);
  const pdu = signEvent(
    version,
    {
      type: 'm.room.member',
      room_id: '!room:there',
      sender: '@olga:there',
      state_key: '@mona:here',
      content: { membership: 'invite' },
      origin_server_ts: 1,
      depth: 7,
      prev_events: [],
      auth_events: [],
      hashes: { sha256: '' },
      signatures: {},
      ...(version.eventIdFormat === 'origin' ? { event_id: '$invite:there' } : {}),
    } as unknown as Pdu,
    'there',
    inviter,
  );
  return { version, invite: { eventId: computeEventId(version, pdu), pdu } };
}

describe('outOfBandLeave', () => {
  it("is the invitee's own leave, on top of the invite, signed by this server alone", async () => {
    const { version, invite: answered } = invite('10');
    const leave = outOfBandLeave(version, answered, 'here', ours);
    expect(leave.pdu).toMatchObject({
      type: 'm.room.member',
      room_id: '!room:there',
      sender: '@mona:here',
      state_key: '@mona:here',
      content: { membership: 'leave' },
      prev_events: [answered.eventId],
      auth_events: [answered.eventId],
      depth: 8,
    });
    await expect(checkIncomingPdu(version, leave.pdu, keys)).resolves.toMatchObject({
      ok: true,
      eventId: leave.eventId,
    });
  });

  it('references the invite with its hashes, and mints an event ID, in room versions 1 and 2', async () => {
    const { version, invite: answered } = invite('1');
    const leave = outOfBandLeave(version, answered, 'here', ours);
    expect(leave.pdu.prev_events).toEqual([[answered.eventId, answered.pdu.hashes]]);
    expect(leave.eventId).toMatch(/^\$.+:here$/);
    await expect(checkIncomingPdu(version, leave.pdu, keys)).resolves.toMatchObject({
      ok: true,
      eventId: leave.eventId,
    });
  });
});
