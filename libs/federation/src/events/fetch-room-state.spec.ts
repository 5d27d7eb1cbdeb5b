import { generateSigningKey, getRoomVersion, stateKey, type JsonObject, type Pdu } from '@lattice/protocol';
import { buildEvent, type RoomHead } from '@lattice/rooms';
import type { FederationClient } from '../client/federation-client';
import { fetchStateAfter, type RoomFetchContext } from './fetch-room-state';

const ORIGIN = 'remote.example';
const ALICE = `@alice:${ORIGIN}`;
const key = generateSigningKey();

/** A small room of another server, events signed by it: create, Alice's join, a topic, then a message. */
function remoteRoom() {
  const head: RoomHead = {
    roomNid: 0,
    roomId: `!room:${ORIGIN}`,
    version: getRoomVersion('10'),
    state: new Map(),
    extremities: [],
    snapshotNid: null,
    partialState: false,
  };
  const add = (type: string, state: string | undefined, content: JsonObject) => {
    const built = buildEvent(
      head,
      ALICE,
      { type, ...(state === undefined ? {} : { stateKey: state }), content },
      ORIGIN,
      key,
    );
    if (state !== undefined)
      head.state.set(stateKey(type, state), { eventId: built.eventId, eventNid: 0n, pdu: built.pdu });
    head.extremities = [
      { eventId: built.eventId, eventNid: 0n, depth: built.pdu.depth, sha256: built.pdu.hashes.sha256 },
    ];
    return built;
  };
  const events = [
    add('m.room.create', '', { creator: ALICE, room_version: '10' }),
    add('m.room.member', ALICE, { membership: 'join' }),
    add('m.room.topic', '', { topic: 'the state' }),
    add('m.room.message', undefined, { body: 'the prev event' }),
  ];
  return { head, events };
}

/**
 * A stand-in for the origin answering /state_ids, /event and, when `answersState`, /state (a unit test of the
 * fetching, not of federation).
 */
function origin(events: Array<{ eventId: string; pdu: Pdu }>, stateIds: string[], answersState = false) {
  const requests: string[] = [];
  const client = {
    request: async (_from: string, _to: string, _method: string, path: string) => {
      requests.push(path);
      if (path.includes('/state_ids/')) return { pdu_ids: stateIds, auth_chain_ids: stateIds.slice(0, 2) };
      if (path.includes('/state/')) {
        if (!answersState) throw new Error('404');
        const inState = (e: { eventId: string }) => stateIds.includes(e.eventId);
        return { pdus: events.filter(inState).map((e) => e.pdu), auth_chain: [] };
      }
      const id = decodeURIComponent(path.split('/event/')[1]);
      return { pdus: events.filter((e) => e.eventId === id).map((e) => e.pdu) };
    },
  } as unknown as FederationClient;
  return { client, requests };
}

describe('fetchStateAfter', () => {
  const { head, events } = remoteRoom();
  const [create, join, topic, message] = events;
  const ctx = (client: FederationClient): RoomFetchContext => ({
    client,
    keys: { publicKey: async () => key.publicKey },
    origin: 'here.example',
    server: ORIGIN,
    roomId: head.roomId,
    version: head.version,
  });

  it('is the state before the event from /state_ids, with the event itself last, fetching only what is not known', async () => {
    const { client, requests } = origin(events, [create.eventId, join.eventId, topic.eventId]);
    const result = await fetchStateAfter(
      ctx(client),
      message.eventId,
      async (ids) => new Set(ids.filter((id) => id === create.eventId)),
    );
    expect(result?.stateIds).toEqual([create.eventId, join.eventId, topic.eventId, message.eventId]);
    expect(result?.events.map((e) => e.eventId).sort()).toEqual([join.eventId, topic.eventId, message.eventId].sort());
    expect(requests.filter((p) => p.includes(`/event/${encodeURIComponent(create.eventId)}`))).toEqual([]);
  });

  it('gives up when an event of the state cannot be had or does not pass the checks', async () => {
    const forged = { ...topic, pdu: { ...topic.pdu, signatures: {} } };
    const { client } = origin([create, join, forged, message], [create.eventId, join.eventId, topic.eventId]);
    expect(await fetchStateAfter(ctx(client), message.eventId, async () => new Set())).toBeUndefined();
  });

  it('fetches the state whole (/state) when much of it is missing, and the event itself with /event', async () => {
    const { client, requests } = origin(events, [create.eventId, join.eventId, topic.eventId], true);
    const result = await fetchStateAfter(ctx(client), message.eventId, async () => new Set());
    expect(result?.stateIds).toEqual([create.eventId, join.eventId, topic.eventId, message.eventId]);
    expect(requests.filter((p) => p.includes('/event/'))).toEqual([
      `/_matrix/federation/v1/event/${encodeURIComponent(message.eventId)}`,
    ]);
  });
});
