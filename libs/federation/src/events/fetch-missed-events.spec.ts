import { computeEventId, generateSigningKey, getRoomVersion, signEvent, type Pdu } from '@lattice/protocol';
import type { FederationClient } from '../client/federation-client';
import type { ServerKeys } from '../keys/server-keys';
import { fetchMissedEvents } from './fetch-missed-events';

const version = getRoomVersion('10');
/** Event IDs of this room version's form for events the tests only name. */
const LEFT = `$${'l'.repeat(43)}`;
const OLDER = `$${'o'.repeat(43)}`;
const key = generateSigningKey();
const keys = {
  keyValidity: async () => ({ key: key.publicKey, validUntil: Number.MAX_SAFE_INTEGER }),
} as unknown as ServerKeys;

/** A chain of messages by `@olga:there`, each on the one before; the first on `after`. */
function chain(after: string, length: number): Array<{ eventId: string; pdu: Pdu }> {
  const events: Array<{ eventId: string; pdu: Pdu }> = [];
  for (let i = 0; i < length; i++) {
    const pdu = signEvent(
      version,
      {
        type: 'm.room.message',
        room_id: '!room:there',
        sender: '@olga:there',
        content: { body: `${i}` },
        origin_server_ts: i,
        depth: 10 + i,
        prev_events: [events[i - 1]?.eventId ?? after],
        auth_events: [],
        hashes: { sha256: '' },
        signatures: {},
      } as unknown as Pdu,
      'there',
      key,
    );
    events.push({ eventId: computeEventId(version, pdu), pdu });
  }
  return events;
}

/** A resident that answers /backfill with `events`, newest first as servers do. */
const resident = (events: Array<{ pdu: Pdu }>) =>
  ({
    request: async () => ({ pdus: events.map((e) => e.pdu).reverse() }),
  }) as unknown as FederationClient;

const ask = (client: FederationClient, latest: string, have: string[]) =>
  fetchMissedEvents(client, keys, {
    origin: 'here',
    servers: ['there'],
    roomId: '!room:there',
    version,
    latest: [latest],
    known: async (ids) => new Set(ids.filter((id) => have.includes(id))),
  });

describe('fetchMissedEvents', () => {
  it('gives the events between what this server has and the join, oldest first', async () => {
    const missed = chain(LEFT, 3);
    const answered = await ask(resident(missed), missed[2].eventId, [LEFT]);
    expect(answered.map((e) => e.pdu.content.body)).toEqual(['0', '1', '2']);
  });

  it('gives nothing when the answer does not reach back to what this server has', async () => {
    const missed = chain(OLDER, 3);
    expect(await ask(resident(missed), missed[2].eventId, [LEFT])).toEqual([]);
  });
});
