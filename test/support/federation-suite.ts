import { readFileSync } from 'node:fs';
import { httpsJson } from '../../libs/federation/src/client/https-json';
import {
  computeEventId,
  generateSigningKey,
  getRoomVersion,
  signJson,
  type JsonObject,
  type Pdu,
  type RoomVersion,
} from '../../libs/protocol/src';
import { DATABASE, type Database } from '../../libs/storage/src';
import { freePort } from '../../tools/net/free-port';
import { makeTestCertificates, type TestCertificates } from '../../tools/tls/test-certificates';
import { crossSigningKeys } from './cross-signing-keys';
import { exchangeEncryptedMessages, verifyUsersBySas } from './crypto-client';
import { startEmbeddedServer } from './embedded-server';
import type { FederationPeer } from './federation-peer';
import { clientCall, federatingConfig } from './federating-server';
import { eventually } from './matrix-client';

/** How a spec names and starts the peer the suite federates with. */
export interface PeerUnderTest {
  /** How test names call it: "Synapse", "Lattice B". */
  name: string;
  start(certs: TestCertificates): Promise<FederationPeer>;
}

/**
 * Federation between this server and a peer homeserver, both on loopback
 * with TLS from a throwaway CA: keys, request signing and discovery, rooms
 * on either side, EDUs, end-to-end encryption, restarts, each side checking
 * the other. The same scenarios run against Synapse (test/interop) and
 * against a second deployment of this server (test/e2e).
 */
export function federationSuite({ name: peerName, start }: PeerUnderTest): void {
  describe(`federation with ${peerName}`, () => {
    // Deliveries between servers, retries and restarts take longer than jest's default 5 s.
    jest.setTimeout(60_000);
    const certs = makeTestCertificates();
    let peer: FederationPeer;
    let lattice: Awaited<ReturnType<typeof startEmbeddedServer>>;
    let latticeName: string;
    let latticeConfig: Record<string, unknown>;

    beforeAll(async () => {
      const port = await freePort();
      latticeName = `localhost:${port}`;
      latticeConfig = federatingConfig(certs, latticeName, port);
      [peer, lattice] = await Promise.all([start(certs), startEmbeddedServer(latticeConfig)]);
    }, 120_000);

    afterAll(async () => {
      await lattice?.close();
      await peer?.stop();
    });

    /** A client request to this server, addressed to the tenant by Host. */
    const latticeClient = (method: string, path: string, token?: string, body?: unknown) =>
      clientCall(lattice.url, latticeName, method, path, token, body);
    const peerClient = (method: string, path: string, token?: string, body?: unknown) =>
      peer.request(method, path, token, body);

    /**
     * Synapse answers identical /sync requests from a cache for two minutes:
     * polls vary the timeout (a few milliseconds) so each is computed afresh.
     * Harmless against a peer without that cache, so every peer gets it.
     */
    let syncs = 0;
    const freshSync = () => `/_matrix/client/v3/sync?timeout=${++syncs}`;

    /** Bodies of the m.room.message events a client sees in a room, oldest first. */
    async function messageBodies(call: typeof latticeClient, token: string, roomId: string) {
      const { body } = await call(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
        token,
      );
      return ((body.chunk as Array<{ type: string; content: { body?: string } }>) ?? [])
        .filter((e) => e.type === 'm.room.message')
        .map((e) => e.content.body)
        .reverse();
    }

    async function registerOnLattice(username: string) {
      const { body } = await latticeClient('POST', '/_matrix/client/v3/register', undefined, {
        username,
        password: 'interop password',
        auth: { type: 'm.login.dummy' },
      });
      return { userId: body.user_id as string, accessToken: body.access_token as string };
    }

    it(`fetches ${peerName}'s keys over TLS and vouches for them as a notary`, async () => {
      const { status, body } = await latticeClient('POST', '/_matrix/key/v2/query', undefined, {
        server_keys: { [peer.serverName]: {} },
      });
      expect(status).toBe(200);
      const [response] = body.server_keys as Array<{ server_name: string; signatures: Record<string, object> }>;
      expect(response.server_name).toBe(peer.serverName);
      expect(Object.keys(response.signatures).sort()).toEqual([latticeName, peer.serverName].sort());
    });

    it(`is reachable by ${peerName}, which fetches this server's keys and vouches for them as a notary`, async () => {
      const ours = (await latticeClient('GET', '/_matrix/key/v2/server')).body as {
        verify_keys: Record<string, object>;
      };
      const [keyId] = Object.keys(ours.verify_keys);
      // Synapse fetches on a cache miss only for named key IDs, and requires minimum_valid_until_ts: asked for, of every peer.
      const port = Number(peer.serverName.split(':')[1]);
      const { status, body } = await httpsJson(
        { host: '127.0.0.1', port, hostHeader: peer.serverName, tlsName: 'localhost' },
        'POST',
        '/_matrix/key/v2/query',
        {
          ca: [readFileSync(certs.caFile, 'utf8')],
          body: { server_keys: { [latticeName]: { [keyId]: { minimum_valid_until_ts: Date.now() } } } },
          timeoutMs: 10_000,
        },
      );
      expect(status).toBe(200);
      const [response] = (
        body as { server_keys: Array<{ server_name: string; verify_keys: object; signatures: Record<string, object> }> }
      ).server_keys;
      expect(response.server_name).toBe(latticeName);
      expect(response.verify_keys).toEqual(ours.verify_keys);
      expect(Object.keys(response.signatures).sort()).toEqual([latticeName, peer.serverName].sort());
    });

    it(`looks up a ${peerName} user's profile with a signed request ${peerName} accepts`, async () => {
      const bob = await peer.register('bob');
      await peerClient(
        'PUT',
        `/_matrix/client/v3/profile/${encodeURIComponent(bob.userId)}/displayname`,
        bob.accessToken,
        { displayname: `Bob on ${peerName}` },
      );
      const { status, body } = await latticeClient(
        'GET',
        `/_matrix/client/v3/profile/${encodeURIComponent(bob.userId)}`,
      );
      expect({ status, body }).toEqual({ status: 200, body: { displayname: `Bob on ${peerName}` } });
    });

    it(`answers ${peerName}'s signed profile query for a user here`, async () => {
      const alice = await registerOnLattice('alice');
      await latticeClient(
        'PUT',
        `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}/displayname`,
        alice.accessToken,
        { displayname: 'Alice on Lattice' },
      );
      const carol = await peer.register('carol');
      const { status, body } = await peerClient(
        'GET',
        `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}`,
        carol.accessToken,
      );
      expect({ status, body }).toMatchObject({ status: 200, body: { displayname: 'Alice on Lattice' } });
    });

    it(`reads extended profile fields of a ${peerName} user, the whole profile and one field`, async () => {
      const tess = await peer.register('tess');
      const profilePath = (field: string) => `/_matrix/client/v3/profile/${encodeURIComponent(tess.userId)}/${field}`;
      expect((await peerClient('PUT', profilePath('m.tz'), tess.accessToken, { 'm.tz': 'Europe/Paris' })).status).toBe(
        200,
      );
      expect(await latticeClient('GET', profilePath('m.tz'))).toEqual({
        status: 200,
        body: { 'm.tz': 'Europe/Paris' },
      });
      expect(
        (await latticeClient('GET', `/_matrix/client/v3/profile/${encodeURIComponent(tess.userId)}`)).body,
      ).toMatchObject({ 'm.tz': 'Europe/Paris' });
    });

    it(`answers ${peerName}'s query for an extended profile field of a user here`, async () => {
      const tom = await registerOnLattice('tom');
      const profilePath = (field: string) => `/_matrix/client/v3/profile/${encodeURIComponent(tom.userId)}/${field}`;
      expect(
        (
          await latticeClient('PUT', profilePath('org.example.pronouns'), tom.accessToken, {
            'org.example.pronouns': 'he/him',
          })
        ).status,
      ).toBe(200);
      const viewer = await peer.register('pronoun-viewer');
      expect(await peerClient('GET', profilePath('org.example.pronouns'), viewer.accessToken)).toEqual({
        status: 200,
        body: { 'org.example.pronouns': 'he/him' },
      });
    });

    describe(`a room created here that a ${peerName} user joins`, () => {
      let alice: { userId: string; accessToken: string };
      let dave: { userId: string; accessToken: string };
      let gina: { userId: string; accessToken: string };
      let roomId: string;

      const messages = (call: typeof latticeClient, token: string) => messageBodies(call, token, roomId);

      beforeAll(async () => {
        alice = await registerOnLattice('alice-room');
        dave = await peer.register('dave');
        roomId = (
          await latticeClient('POST', '/_matrix/client/v3/createRoom', alice.accessToken, {
            preset: 'public_chat',
            name: 'Interop',
            topic: 'Both ways',
          })
        ).body.room_id as string;
      });

      it(`lets the ${peerName} user join through make_join and send_join`, async () => {
        const joined = await peerClient(
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(latticeName)}`,
          dave.accessToken,
          {},
        );
        expect(joined).toMatchObject({ status: 200, body: { room_id: roomId } });
        const members = await latticeClient(
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
          alice.accessToken,
        );
        expect(Object.keys(members.body.joined as object).sort()).toEqual([alice.userId, dave.userId].sort());
      });

      it(`delivers a message from ${peerName} to this server`, async () => {
        await peerClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`,
          dave.accessToken,
          { msgtype: 'm.text', body: 'hello from the peer' },
        );
        await eventually('the message to arrive here', async () =>
          (await messages(latticeClient, alice.accessToken)).includes('hello from the peer'),
        );
      });

      it(`delivers a message from this server to ${peerName}`, async () => {
        await latticeClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t2`,
          alice.accessToken,
          { msgtype: 'm.text', body: 'hello from lattice' },
        );
        await eventually(`the message to arrive on ${peerName}`, async () =>
          (await messages(peerClient, dave.accessToken)).includes('hello from lattice'),
        );
      });

      it(`agrees with ${peerName} on the room's state`, async () => {
        const stateOf = async (call: typeof latticeClient, token: string) => {
          const { body } = await call('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, token);
          return (body as unknown as Array<{ type: string; state_key: string; event_id: string }>)
            .map((e) => `${e.type}|${e.state_key}|${e.event_id}`)
            .sort();
        };
        const ours = await stateOf(latticeClient, alice.accessToken);
        expect(ours.some((s) => s.startsWith(`m.room.member|${dave.userId}|`))).toBe(true);
        expect(await stateOf(peerClient, dave.accessToken)).toEqual(ours);
      });
      it(`invites a ${peerName} user, who accepts through ${peerName}`, async () => {
        gina = await peer.register('gina');
        const room = encodeURIComponent(roomId);
        expect(
          (
            await latticeClient('POST', `/_matrix/client/v3/rooms/${room}/invite`, alice.accessToken, {
              user_id: gina.userId,
            })
          ).status,
        ).toBe(200);
        await eventually('the invite to reach gina', async () => {
          const { body } = await peerClient('GET', freshSync(), gina.accessToken);
          return (body.rooms as { invite?: Record<string, unknown> })?.invite?.[roomId] !== undefined;
        });
        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/join/${room}?server_name=${encodeURIComponent(latticeName)}`,
              gina.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        await eventually("gina's join to arrive here", async () =>
          Object.keys(
            (await latticeClient('GET', `/_matrix/client/v3/rooms/${room}/joined_members`, alice.accessToken)).body
              .joined as object,
          ).includes(gina.userId),
        );
      });

      it(`invites a ${peerName} user while creating a direct chat, through ${peerName}`, async () => {
        const hana = await peer.register('hana');
        const created = await latticeClient('POST', '/_matrix/client/v3/createRoom', alice.accessToken, {
          preset: 'trusted_private_chat',
          is_direct: true,
          invite: [hana.userId],
        });
        expect(created.status).toBe(200);
        const direct = created.body.room_id as string;
        await eventually('the invite to reach hana', async () => {
          const { body } = await peerClient('GET', freshSync(), hana.accessToken);
          const invite = (
            body.rooms as {
              invite?: Record<
                string,
                {
                  invite_state: {
                    events: Array<{ type: string; state_key: string; content: { is_direct?: boolean } }>;
                  };
                }
              >;
            }
          )?.invite?.[direct];
          return (
            invite?.invite_state.events.some(
              (e) => e.type === 'm.room.member' && e.state_key === hana.userId && e.content.is_direct === true,
            ) ?? false
          );
        });
      });

      it('crosses typing notifications and read receipts both ways', async () => {
        const room = encodeURIComponent(roomId);
        const ephemeral = async (call: typeof latticeClient, token: string) => {
          const { body } = await call('GET', freshSync(), token);
          return JSON.stringify(
            (body.rooms as { join?: Record<string, { ephemeral?: unknown }> })?.join?.[roomId]?.ephemeral ?? {},
          );
        };
        await latticeClient(
          'PUT',
          `/_matrix/client/v3/rooms/${room}/typing/${encodeURIComponent(alice.userId)}`,
          alice.accessToken,
          { typing: true, timeout: 20_000 },
        );
        await eventually(`${peerName} to show alice typing`, async () =>
          (await ephemeral(peerClient, dave.accessToken)).includes(
            `"m.typing","content":{"user_ids":["${alice.userId}"]`,
          ),
        );
        await peerClient(
          'PUT',
          `/_matrix/client/v3/rooms/${room}/typing/${encodeURIComponent(dave.userId)}`,
          dave.accessToken,
          { typing: true, timeout: 20_000 },
        );
        await eventually('this server to show dave typing', async () =>
          (await ephemeral(latticeClient, alice.accessToken)).includes(dave.userId),
        );

        const { body } = await latticeClient(
          'PUT',
          `/_matrix/client/v3/rooms/${room}/send/m.room.message/r1`,
          alice.accessToken,
          { msgtype: 'm.text', body: 'read me' },
        );
        const eventId = body.event_id as string;
        await eventually(
          `the message to reach ${peerName}`,
          async () =>
            (
              await peerClient(
                'GET',
                `/_matrix/client/v3/rooms/${room}/event/${encodeURIComponent(eventId)}`,
                dave.accessToken,
              )
            ).status === 200,
        );
        await peerClient(
          'POST',
          `/_matrix/client/v3/rooms/${room}/receipt/m.read/${encodeURIComponent(eventId)}`,
          dave.accessToken,
          {},
        );
        await eventually("this server to show dave's receipt", async () =>
          (await ephemeral(latticeClient, alice.accessToken)).includes(`"m.read":{"${dave.userId}"`),
        );

        expect(
          (
            await latticeClient(
              'POST',
              `/_matrix/client/v3/rooms/${room}/receipt/m.read/${encodeURIComponent(eventId)}`,
              alice.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        await eventually(`${peerName} to show alice's receipt`, async () => {
          const { events } = JSON.parse(await ephemeral(peerClient, dave.accessToken)) as {
            events?: Array<{ type: string; content: Record<string, { 'm.read'?: Record<string, unknown> }> }>;
          };
          return (
            events?.some(
              (e) => e.type === 'm.receipt' && e.content[eventId]?.['m.read']?.[alice.userId] !== undefined,
            ) ?? false
          );
        });
      });

      it('crosses a thread and an edit in both directions', async () => {
        const room = encodeURIComponent(roomId);
        const send = async (call: typeof latticeClient, token: string, txn: string, content: Record<string, unknown>) =>
          (await call('PUT', `/_matrix/client/v3/rooms/${room}/send/m.room.message/${txn}`, token, content)).body
            .event_id as string;
        const seen = (call: typeof latticeClient, token: string, eventId: string) => async () =>
          (await call('GET', `/_matrix/client/v3/rooms/${room}/event/${encodeURIComponent(eventId)}`, token)).status ===
          200;
        const threadReplies = async (call: typeof latticeClient, token: string, rootId: string) =>
          (
            ((
              await call(
                'GET',
                `/_matrix/client/v1/rooms/${room}/relations/${encodeURIComponent(rootId)}/m.thread`,
                token,
              )
            ).body.chunk as Array<{ event_id: string }>) ?? []
          ).map((e) => e.event_id);
        const bundled = async (call: typeof latticeClient, token: string, eventId: string) =>
          (
            (await call('GET', `/_matrix/client/v3/rooms/${room}/event/${encodeURIComponent(eventId)}`, token)).body
              .unsigned as { 'm.relations'?: Record<string, { event_id?: string; count?: number }> } | undefined
          )?.['m.relations'];
        const inThread = (rootId: string, body: string) => ({
          msgtype: 'm.text',
          body,
          'm.relates_to': { rel_type: 'm.thread', event_id: rootId },
        });
        const edit = (originalId: string, body: string) => ({
          msgtype: 'm.text',
          body: `* ${body}`,
          'm.new_content': { msgtype: 'm.text', body },
          'm.relates_to': { rel_type: 'm.replace', event_id: originalId },
        });

        const ourRoot = await send(latticeClient, alice.accessToken, 'th1', {
          msgtype: 'm.text',
          body: 'a thread from here',
        });
        await eventually(`the root to reach ${peerName}`, seen(peerClient, dave.accessToken, ourRoot));
        const theirReply = await send(peerClient, dave.accessToken, 'th2', inThread(ourRoot, 'a reply from the peer'));
        await eventually(`${peerName}'s reply to join the thread here`, async () =>
          (await threadReplies(latticeClient, alice.accessToken, ourRoot)).includes(theirReply),
        );
        expect((await bundled(latticeClient, alice.accessToken, ourRoot))?.['m.thread']?.count).toBe(1);

        const theirRoot = await send(peerClient, dave.accessToken, 'th3', {
          msgtype: 'm.text',
          body: `a thread from ${peerName}`,
        });
        await eventually('the root to arrive here', seen(latticeClient, alice.accessToken, theirRoot));
        const ourReply = await send(latticeClient, alice.accessToken, 'th4', inThread(theirRoot, 'a reply from here'));
        await eventually(`the reply to join the thread on ${peerName}`, async () =>
          (await threadReplies(peerClient, dave.accessToken, theirRoot)).includes(ourReply),
        );

        const ourEdit = await send(
          latticeClient,
          alice.accessToken,
          'th5',
          edit(ourRoot, 'an edited thread from here'),
        );
        await eventually(
          `${peerName} to bundle the edit made here`,
          async () => (await bundled(peerClient, dave.accessToken, ourRoot))?.['m.replace']?.event_id === ourEdit,
        );
        const theirEdit = await send(
          peerClient,
          dave.accessToken,
          'th6',
          edit(theirRoot, `an edited thread from ${peerName}`),
        );
        await eventually(
          `this server to bundle the edit made on ${peerName}`,
          async () =>
            (await bundled(latticeClient, alice.accessToken, theirRoot))?.['m.replace']?.event_id === theirEdit,
        );
      });

      it(`shows a user's unthreaded receipt over their threaded one on the same event, here and on ${peerName}`, async () => {
        const room = encodeURIComponent(roomId);
        const send = async (txn: string, content: Record<string, unknown>) =>
          (
            await latticeClient(
              'PUT',
              `/_matrix/client/v3/rooms/${room}/send/m.room.message/${txn}`,
              alice.accessToken,
              content,
            )
          ).body.event_id as string;
        const root = await send('rr-root', { msgtype: 'm.text', body: 'a thread to read' });
        const reply = await send('rr-reply', {
          msgtype: 'm.text',
          body: 'read in and out of the thread',
          'm.relates_to': { rel_type: 'm.thread', event_id: root },
        });
        const receipt = `/_matrix/client/v3/rooms/${room}/receipt/m.read/${encodeURIComponent(reply)}`;
        expect((await latticeClient('POST', receipt, alice.accessToken, {})).status).toBe(200);
        expect((await latticeClient('POST', receipt, alice.accessToken, { thread_id: root })).status).toBe(200);
        // MSC4102: the unthreaded receipt covers the thread too, so it is the one a sync shows for the event.
        const unthreadedShown = (call: typeof latticeClient, token: string) => async () => {
          const { body } = await call('GET', freshSync(), token);
          const events =
            (
              body.rooms as {
                join?: Record<
                  string,
                  {
                    ephemeral?: {
                      events: Array<{
                        type: string;
                        content: Record<string, { 'm.read'?: Record<string, { thread_id?: string }> }>;
                      }>;
                    };
                  }
                >;
              }
            )?.join?.[roomId]?.ephemeral?.events ?? [];
          const read = events.find((e) => e.type === 'm.receipt')?.content[reply]?.['m.read']?.[alice.userId];
          return read !== undefined && read.thread_id === undefined;
        };
        await eventually('the unthreaded receipt to show here', unthreadedShown(latticeClient, alice.accessToken));
        await eventually(
          `the unthreaded receipt to show on ${peerName}`,
          unthreadedShown(peerClient, dave.accessToken),
        );
      });

      it('crosses a kick, a leave and a ban in both directions', async () => {
        const room = encodeURIComponent(roomId);
        const joinedOnPeer = async () =>
          (
            (await peerClient('GET', '/_matrix/client/v3/joined_rooms', dave.accessToken)).body.joined_rooms as string[]
          ).includes(roomId);
        const joinedHere = async () =>
          Object.keys(
            (await latticeClient('GET', `/_matrix/client/v3/rooms/${room}/joined_members`, alice.accessToken)).body
              .joined as object,
          ).includes(dave.userId);

        expect(
          (
            await latticeClient('POST', `/_matrix/client/v3/rooms/${room}/kick`, alice.accessToken, {
              user_id: dave.userId,
              reason: 'testing',
            })
          ).status,
        ).toBe(200);
        await eventually(`${peerName} to apply the kick`, async () => !(await joinedOnPeer()));

        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/join/${room}?server_name=${encodeURIComponent(latticeName)}`,
              dave.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        await eventually('the rejoin to arrive here', joinedHere);
        expect((await peerClient('POST', `/_matrix/client/v3/rooms/${room}/leave`, dave.accessToken, {})).status).toBe(
          200,
        );
        await eventually('the leave to arrive here', async () => !(await joinedHere()));

        expect(
          (
            await latticeClient('POST', `/_matrix/client/v3/rooms/${room}/ban`, alice.accessToken, {
              user_id: dave.userId,
            })
          ).status,
        ).toBe(200);
        // The peer is in the room itself now (a user of it joined through it): it refuses the rejoin once it has the ban.
        await eventually(`${peerName} to apply the ban`, async () => {
          const { body } = await peerClient(
            'GET',
            `/_matrix/client/v3/rooms/${room}/state/m.room.member/${encodeURIComponent(dave.userId)}`,
            gina.accessToken,
          );
          return body.membership === 'ban';
        });
        const refused = await peerClient(
          'POST',
          `/_matrix/client/v3/join/${room}?server_name=${encodeURIComponent(latticeName)}`,
          dave.accessToken,
          {},
        );
        expect(refused.status).toBe(403);
      });
    });

    describe(`a room created on ${peerName} that a user here joins`, () => {
      let erin: { userId: string; accessToken: string };
      let frank: { userId: string; accessToken: string };
      let roomId: string;

      const messages = (call: typeof latticeClient, token: string) => messageBodies(call, token, roomId);

      beforeAll(async () => {
        erin = await peer.register('erin');
        frank = await registerOnLattice('frank');
        roomId = (
          await peerClient('POST', '/_matrix/client/v3/createRoom', erin.accessToken, {
            preset: 'public_chat',
            name: `On ${peerName}`,
            topic: 'Joined from Lattice',
          })
        ).body.room_id as string;
      });

      it("joins through make_join and send_join, taking in the room's state", async () => {
        const joined = await latticeClient(
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(peer.serverName)}`,
          frank.accessToken,
          {},
        );
        expect(joined).toMatchObject({ status: 200, body: { room_id: roomId } });
        await eventually(`${peerName} to see the join`, async () => {
          const members = await peerClient(
            'GET',
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
            erin.accessToken,
          );
          return Object.keys((members.body.joined as object) ?? {}).includes(frank.userId);
        });
        const name = await latticeClient(
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.name/`,
          frank.accessToken,
        );
        expect(name.body).toEqual({ name: `On ${peerName}` });
      });

      it('sends messages both ways', async () => {
        await latticeClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/f1`,
          frank.accessToken,
          { msgtype: 'm.text', body: 'frank here' },
        );
        await peerClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/e1`,
          erin.accessToken,
          { msgtype: 'm.text', body: 'erin here' },
        );
        // Each side orders them as they arrived there; both must have both.
        const both = async (call: typeof latticeClient, token: string) =>
          (await messages(call, token)).sort().join() === 'erin here,frank here';
        await eventually(`${peerName} to have both`, () => both(peerClient, erin.accessToken));
        await eventually('this server to have both', () => both(latticeClient, frank.accessToken));
      });

      it(`resolves aliases across servers, and joins a ${peerName} room by its alias`, async () => {
        const alias = `#interop:${peer.serverName}`;
        expect(
          (
            await peerClient(
              'PUT',
              `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`,
              erin.accessToken,
              { room_id: roomId },
            )
          ).status,
        ).toBe(200);
        expect(
          await latticeClient('GET', `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`),
        ).toMatchObject({ status: 200, body: { room_id: roomId } });
        const kim = await registerOnLattice('kim');
        expect(
          await latticeClient('POST', `/_matrix/client/v3/join/${encodeURIComponent(alias)}`, kim.accessToken, {}),
        ).toMatchObject({ status: 200, body: { room_id: roomId } });
        const ours = `#here:${latticeName}`;
        expect(
          (
            await latticeClient(
              'PUT',
              `/_matrix/client/v3/directory/room/${encodeURIComponent(ours)}`,
              kim.accessToken,
              { room_id: roomId },
            )
          ).status,
        ).toBe(200);
        expect(
          await peerClient('GET', `/_matrix/client/v3/directory/room/${encodeURIComponent(ours)}`, erin.accessToken),
        ).toMatchObject({ status: 200, body: { room_id: roomId } });
      });

      it(`shows an invite from ${peerName} here, which the user accepts`, async () => {
        const hank = await registerOnLattice('hank');
        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`,
              erin.accessToken,
              { user_id: hank.userId },
            )
          ).status,
        ).toBe(200);
        const invite = await eventually('the invite to show in /sync here', async () => {
          const { body } = await latticeClient('GET', '/_matrix/client/v3/sync?timeout=0', hank.accessToken);
          return (
            body.rooms as {
              invite?: Record<
                string,
                { invite_state: { events: Array<{ type: string; content: Record<string, unknown> }> } }
              >;
            }
          )?.invite?.[roomId];
        });
        expect(invite.invite_state.events.find((e) => e.type === 'm.room.name')?.content).toEqual({
          name: `On ${peerName}`,
        });
        expect(
          (await latticeClient('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, hank.accessToken, {}))
            .status,
        ).toBe(200);
        await eventually(`${peerName} to see hank join`, async () =>
          Object.keys(
            ((
              await peerClient(
                'GET',
                `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
                erin.accessToken,
              )
            ).body.joined as object) ?? {},
          ).includes(hank.userId),
        );
      });
    });

    describe(`a room of several ${peerName} users that a user here joins with partial state`, () => {
      let owner: { userId: string; accessToken: string };
      let roomId: string;
      const joinedOn = async (call: typeof latticeClient, token: string) =>
        Object.keys(
          ((await call('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`, token)).body
            .joined as object) ?? {},
        ).sort();

      beforeAll(async () => {
        owner = await peer.register('partial-owner');
        roomId = (
          await peerClient('POST', '/_matrix/client/v3/createRoom', owner.accessToken, {
            preset: 'public_chat',
            name: 'Crowded',
          })
        ).body.room_id as string;
        for (let i = 0; i < 6; i++) {
          const member = await peer.register(`partial-member${i}`);
          expect(
            (await peerClient('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, member.accessToken, {}))
              .status,
          ).toBe(200);
        }
      });

      it(`joins without the members, sends at once, then ends up with the member list ${peerName} has`, async () => {
        const quinn = await registerOnLattice('quinn');
        const joined = await latticeClient(
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(peer.serverName)}`,
          quinn.accessToken,
          {},
        );
        expect(joined).toMatchObject({ status: 200, body: { room_id: roomId } });
        const sent = await latticeClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/p1`,
          quinn.accessToken,
          { msgtype: 'm.text', body: 'sent while partial' },
        );
        expect(sent.status).toBe(200);
        await eventually(`${peerName} to see the message`, async () =>
          (await messageBodies(peerClient, owner.accessToken, roomId)).includes('sent while partial'),
        );

        // /joined_members here waits for the full state, which the resync fetched from the peer.
        const ours = await joinedOn(latticeClient, quinn.accessToken);
        expect(ours).toEqual(await joinedOn(peerClient, owner.accessToken));
        expect(ours).toHaveLength(8);
        // The peer left the members out of send_join (members_omitted): they came in with the resync, which gives them a stream position.
        const prisma = lattice.app.get<Database>(DATABASE).prisma;
        const room = (await prisma.room.findUnique({ where: { roomId } }))!;
        expect(room.isPartialState).toBe(false);
        expect(
          await prisma.currentState.count({
            where: {
              roomNid: room.roomNid,
              membership: 'join',
              streamPos: { gt: 0n },
              userId: { startsWith: '@partial-member' },
            },
          }),
        ).toBe(6);
      });
    });

    describe('presence', () => {
      let pia: { userId: string; accessToken: string };
      let sven: { userId: string; accessToken: string };

      /** The m.presence contents of `userId` in a client's (fresh) sync. */
      const presenceIn = async (call: typeof latticeClient, path: string, token: string, userId: string) => {
        const { body } = await call('GET', path, token);
        return (
          (body.presence as { events?: Array<{ sender: string; content: Record<string, unknown> }> })?.events ?? []
        )
          .filter((e) => e.sender === userId)
          .map((e) => e.content);
      };

      beforeAll(async () => {
        pia = await registerOnLattice('pia');
        sven = await peer.register('sven');
        const roomId = (
          await latticeClient('POST', '/_matrix/client/v3/createRoom', pia.accessToken, { preset: 'public_chat' })
        ).body.room_id as string;
        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(latticeName)}`,
              sven.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        // A peer that joined with partial state (Synapse's faster joins) leaves the room out of a /sync without lazy
        // loading, and with it its members' presence, until it has the room's full state: what it shows of pia's
        // presence is asked only once it shows the room.
        await eventually(
          `${peerName} to show the room joined`,
          async () =>
            ((await peerClient('GET', freshSync(), sven.accessToken)).body.rooms as { join?: Record<string, unknown> })
              ?.join?.[roomId] !== undefined,
          60_000,
        );
      }, 90_000);

      it(`sends a user's presence here to ${peerName}, whose user sees it in /sync`, async () => {
        await latticeClient(
          'PUT',
          `/_matrix/client/v3/presence/${encodeURIComponent(pia.userId)}/status`,
          pia.accessToken,
          { presence: 'unavailable', status_msg: 'from lattice' },
        );
        await eventually(
          `${peerName} to show pia's presence`,
          async () =>
            (await presenceIn(peerClient, `${freshSync()}&set_presence=offline`, sven.accessToken, pia.userId)).some(
              (c) => c.presence === 'unavailable' && c.status_msg === 'from lattice',
            ),
          30_000,
        );
      });

      it(`takes in a ${peerName} user's presence, which a user here sees in /sync`, async () => {
        await peerClient(
          'PUT',
          `/_matrix/client/v3/presence/${encodeURIComponent(sven.userId)}/status`,
          sven.accessToken,
          { presence: 'online', status_msg: 'from the peer' },
        );
        await eventually(
          "this server to show sven's presence",
          async () =>
            (
              await presenceIn(
                latticeClient,
                '/_matrix/client/v3/sync?timeout=0&set_presence=offline',
                pia.accessToken,
                sven.userId,
              )
            ).some((c) => c.presence === 'online' && c.status_msg === 'from the peer'),
          30_000,
        );
      });
    });

    describe('history from before the join (backfill)', () => {
      let olga: { userId: string; accessToken: string };
      let lena: { userId: string; accessToken: string };
      let roomId: string;
      const history = Array.from({ length: 60 }, (_, i) => `history ${i}`);

      beforeAll(async () => {
        olga = await peer.register('historian');
        lena = await registerOnLattice('reader');
        roomId = (
          await peerClient('POST', '/_matrix/client/v3/createRoom', olga.accessToken, {
            preset: 'public_chat',
            name: 'Old room',
          })
        ).body.room_id as string;
        for (const [i, body] of history.entries()) {
          await peerClient(
            'PUT',
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/h${i}`,
            olga.accessToken,
            { msgtype: 'm.text', body },
          );
        }
        // Synapse is busy for a moment after the burst of messages: a key fetch that fails then is retried only 30 s later (other peers join at once).
        await eventually(
          `the join through ${peerName}`,
          async () => {
            const joined = await latticeClient(
              'POST',
              `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(peer.serverName)}`,
              lena.accessToken,
              {},
            );
            if (joined.status !== 200) await new Promise((r) => setTimeout(r, 2_000));
            return joined.status === 200;
          },
          60_000,
        );
      }, 120_000);

      it(`pages back past the join into the history ${peerName} had, in order, without it showing as new in /sync`, async () => {
        const room = encodeURIComponent(roomId);
        const since = (await latticeClient('GET', '/_matrix/client/v3/sync?timeout=0', lena.accessToken)).body
          .next_batch as string;
        const seen: string[] = [];
        const types: string[] = [];
        let from: string | undefined;
        for (let page = 0; page < 20; page++) {
          const { status, body } = await latticeClient(
            'GET',
            `/_matrix/client/v3/rooms/${room}/messages?dir=b&limit=25${from ? `&from=${encodeURIComponent(from)}` : ''}`,
            lena.accessToken,
          );
          expect(status).toBe(200);
          for (const e of body.chunk as Array<{ type: string; content: { body?: string } }>) {
            types.push(e.type);
            if (e.type === 'm.room.message') seen.push(e.content.body!);
          }
          if (body.end === undefined) break;
          from = body.end as string;
        }
        expect(seen.reverse()).toEqual(history);
        // Back to the beginning of the room: its create event is the last one paged to.
        expect(types.at(-1)).toBe('m.room.create');
        const { body } = await latticeClient(
          'GET',
          `/_matrix/client/v3/sync?timeout=0&since=${encodeURIComponent(since)}`,
          lena.accessToken,
        );
        expect(JSON.stringify(body.rooms ?? {})).not.toContain('history ');
      }, 120_000);
    });

    describe(`history visibility: what ${peerName} itself is given of a room here its user joined and left`, () => {
      // The rows differ in what the visitor may see of what was sent while they were not in the room: none of it under
      // `joined`; under `shared`, what came before their join, and once they rejoin, what came while they were away.
      describe.each([
        { visibility: 'joined', beforeJoin: 'redacted', pagedBackAfterRejoin: ['while-joined', 'after-rejoin'] },
        {
          visibility: 'shared',
          beforeJoin: 'whole',
          pagedBackAfterRejoin: ['before-join', 'while-joined', 'after-leave-1', 'after-leave-2', 'after-rejoin'],
        },
      ])('history_visibility $visibility', ({ visibility, beforeJoin, pagedBackAfterRejoin }) => {
        let owner: { userId: string; accessToken: string };
        let visitor: { userId: string; accessToken: string };
        let roomId: string;
        let version: RoomVersion;
        const ids = new Map<string, string>();
        const room = () => encodeURIComponent(roomId);
        const idOf = (label: string) => encodeURIComponent(ids.get(label)!);

        const send = async (label: string) => {
          const { body } = await latticeClient(
            'PUT',
            `/_matrix/client/v3/rooms/${room()}/send/m.room.message/${label}`,
            owner.accessToken,
            { msgtype: 'm.text', body: label },
          );
          ids.set(label, body.event_id as string);
        };
        const membershipHere = async () =>
          (
            await latticeClient(
              'GET',
              `/_matrix/client/v3/rooms/${room()}/state/m.room.member/${encodeURIComponent(visitor.userId)}`,
              owner.accessToken,
            )
          ).body.membership;
        /** A federation request to this server signed by the peer. */
        const peerAsks = (method: string, path: string, body?: JsonObject) =>
          peer.federationRequest(latticeName, method, `/_matrix/federation/v1${path}`, body);
        /** How each message of `pdus` was given, by the label it was sent with: whole as sent, redacted (empty content), or else as it came. */
        const howGiven = (pdus: Pdu[]) => {
          const labels = new Map([...ids].map(([label, id]) => [id, label]));
          const given = (pdu: Pdu, label: string) => {
            if (JSON.stringify(pdu.content) === JSON.stringify({ msgtype: 'm.text', body: label })) return 'whole';
            return Object.keys(pdu.content).length === 0 ? 'redacted' : JSON.stringify(pdu.content);
          };
          return Object.fromEntries(
            pdus
              .filter((p) => p.type === 'm.room.message')
              .map((p) => {
                const label = labels.get(computeEventId(version, p as unknown as JsonObject))!;
                return [label, given(p, label)];
              }),
          );
        };

        beforeAll(async () => {
          owner = await registerOnLattice(`hv-owner-${visibility}`);
          visitor = await peer.register(`hv-visitor-${visibility}`);
          const initialState = [
            { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: visibility } },
          ];
          roomId = (
            await latticeClient('POST', '/_matrix/client/v3/createRoom', owner.accessToken, {
              preset: 'public_chat',
              initial_state: initialState,
            })
          ).body.room_id as string;
          version = getRoomVersion(
            (await latticeClient('GET', `/_matrix/client/v3/rooms/${room()}/state/m.room.create/`, owner.accessToken))
              .body.room_version as string,
          );
          await send('before-join');
          expect(
            (
              await peerClient(
                'POST',
                `/_matrix/client/v3/join/${room()}?server_name=${encodeURIComponent(latticeName)}`,
                visitor.accessToken,
                {},
              )
            ).status,
          ).toBe(200);
          await send('while-joined');
          await eventually(`${peerName} to show the visitor the message`, async () =>
            (await messageBodies(peerClient, visitor.accessToken, roomId)).includes('while-joined'),
          );
          expect(
            (await peerClient('POST', `/_matrix/client/v3/rooms/${room()}/leave`, visitor.accessToken, {})).status,
          ).toBe(200);
          await eventually('the leave to arrive here', async () => (await membershipHere()) === 'leave');
          await send('after-leave-1');
          await send('after-leave-2');
        }, 60_000);

        it(`gives ${peerName} by /backfill whole the messages its user could see, redacted the others`, async () => {
          const { status, body } = await peerAsks('GET', `/backfill/${room()}?v=${idOf('after-leave-2')}&limit=50`);
          expect(status).toBe(200);
          expect(howGiven(body.pdus as Pdu[])).toEqual({
            'before-join': beforeJoin,
            'while-joined': 'whole',
            'after-leave-1': 'redacted',
            'after-leave-2': 'redacted',
          });
        });

        it(`gives ${peerName} by /event a message from after its user left redacted, one from before the join ${beforeJoin}, one from while joined whole`, async () => {
          const event = async (label: string) =>
            howGiven((await peerAsks('GET', `/event/${idOf(label)}`)).body.pdus as Pdu[])[label];
          expect(await event('after-leave-1')).toBe('redacted');
          expect(await event('before-join')).toBe(beforeJoin);
          expect(await event('while-joined')).toBe('whole');
        });

        it(`gives ${peerName} by /get_missing_events the messages since its user left redacted`, async () => {
          const { status, body } = await peerAsks('POST', `/get_missing_events/${room()}`, {
            earliest_events: [ids.get('while-joined')!],
            latest_events: [ids.get('after-leave-2')!],
            limit: 10,
          });
          expect(status).toBe(200);
          expect(howGiven(body.events as Pdu[])).toEqual({ 'after-leave-1': 'redacted' });
        });

        // Last: the rejoin changes what the peer may see (under `shared`, everything its user joined after).
        it(`shows the ${peerName} user, back in the room and paging back, the messages the rules allow them and no others`, async () => {
          expect(
            (
              await peerClient(
                'POST',
                `/_matrix/client/v3/join/${room()}?server_name=${encodeURIComponent(latticeName)}`,
                visitor.accessToken,
                {},
              )
            ).status,
          ).toBe(200);
          // A Lattice peer that was in the room joins on its own copy of it and sends the join after answering: sent before it
          // arrives here, the next message would not go to the peer.
          await eventually('the rejoin to arrive here', async () => (await membershipHere()) === 'join');
          await send('after-rejoin');
          let pagedBack: Array<string | undefined> = [];
          await eventually(
            `${peerName} to page back through what the visitor may see`,
            async () =>
              (pagedBack = await messageBodies(peerClient, visitor.accessToken, roomId)).join() ===
              pagedBackAfterRejoin.join(),
            20_000,
          ).catch(() => undefined);
          expect(pagedBack).toEqual(pagedBackAfterRejoin);
        }, 60_000);
      });
    });

    describe(`a room forked between this server and ${peerName}`, () => {
      let paul: { userId: string; accessToken: string };
      let quinn: { userId: string; accessToken: string };
      let roomId: string;

      const stateOf = async (call: typeof latticeClient, token: string) => {
        const { body } = await call('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, token);
        return (body as unknown as Array<{ type: string; state_key: string; event_id: string }>)
          .map((e) => `${e.type}|${e.state_key}|${e.event_id}`)
          .sort();
      };

      beforeAll(async () => {
        paul = await registerOnLattice('forker');
        quinn = await peer.register('brancher');
        const room = (
          await latticeClient('POST', '/_matrix/client/v3/createRoom', paul.accessToken, {
            preset: 'public_chat',
            topic: 'before the fork',
          })
        ).body.room_id as string;
        roomId = room;
        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/join/${encodeURIComponent(room)}?server_name=${encodeURIComponent(latticeName)}`,
              quinn.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        const levels = (
          await latticeClient(
            'GET',
            `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state/m.room.power_levels/`,
            paul.accessToken,
          )
        ).body;
        await latticeClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state/m.room.power_levels/`,
          paul.accessToken,
          { ...levels, users: { ...(levels.users as object), [quinn.userId]: 100 } },
        );
        await eventually(
          `${peerName} to have quinn's power`,
          async () =>
            (await stateOf(peerClient, quinn.accessToken)).join() ===
            (await stateOf(latticeClient, paul.accessToken)).join(),
          30_000,
        );
      }, 120_000);

      it('converges on one state after both sides changed it while apart', async () => {
        const room = encodeURIComponent(roomId);
        // This server changes the topic while the peer is down; the peer changes it (and the name) while this server is down.
        await peer.stop();
        expect(
          (
            await latticeClient('PUT', `/_matrix/client/v3/rooms/${room}/state/m.room.topic/`, paul.accessToken, {
              topic: 'from lattice',
            })
          ).status,
        ).toBe(200);
        await lattice.close();
        await peer.start();
        expect(
          (
            await peerClient('PUT', `/_matrix/client/v3/rooms/${room}/state/m.room.topic/`, quinn.accessToken, {
              topic: 'from the peer',
            })
          ).status,
        ).toBe(200);
        expect(
          (
            await peerClient('PUT', `/_matrix/client/v3/rooms/${room}/state/m.room.name/`, quinn.accessToken, {
              name: 'named on the peer',
            })
          ).status,
        ).toBe(200);
        lattice = await startEmbeddedServer(latticeConfig, lattice.dataDir);
        // A message from each side after the restart tells the other it is back and carries the fork's merge.
        await latticeClient(
          'PUT',
          `/_matrix/client/v3/rooms/${room}/send/m.room.message/after-fork`,
          paul.accessToken,
          { msgtype: 'm.text', body: 'back' },
        );
        await eventually(
          'both sides to agree on the state',
          async () => {
            const [ours, theirs] = [
              await stateOf(latticeClient, paul.accessToken),
              await stateOf(peerClient, quinn.accessToken),
            ];
            return ours.some((s) => s.startsWith('m.room.name|')) && ours.join() === theirs.join();
          },
          60_000,
        );
        const topic = async (call: typeof latticeClient, token: string) =>
          (await call('GET', `/_matrix/client/v3/rooms/${room}/state/m.room.topic/`, token)).body.topic;
        expect(await topic(latticeClient, paul.accessToken)).toBe(await topic(peerClient, quinn.accessToken));
      }, 180_000);
    });

    it("reads each other's room directory", async () => {
      const rita = await peer.register('rita');
      const sam = await registerOnLattice('sam');
      await peerClient('POST', '/_matrix/client/v3/createRoom', rita.accessToken, {
        preset: 'public_chat',
        visibility: 'public',
        name: `Listed on ${peerName}`,
      });
      await latticeClient('POST', '/_matrix/client/v3/createRoom', sam.accessToken, {
        preset: 'public_chat',
        visibility: 'public',
        name: 'Listed on Lattice',
      });
      const names = (answer: { body: Record<string, unknown> }) =>
        ((answer.body.chunk as Array<{ name?: string }>) ?? []).map((r) => r.name);
      expect(
        names(
          await latticeClient(
            'GET',
            `/_matrix/client/v3/publicRooms?server=${encodeURIComponent(peer.serverName)}`,
            sam.accessToken,
          ),
        ),
      ).toContain(`Listed on ${peerName}`);
      expect(
        names(
          await peerClient(
            'GET',
            `/_matrix/client/v3/publicRooms?server=${encodeURIComponent(latticeName)}`,
            rita.accessToken,
          ),
        ),
      ).toContain('Listed on Lattice');
    });

    describe('end-to-end encryption keys', () => {
      /** Device keys as a client uploads them: its ed25519 key signs them. */
      function deviceKeys(userId: string, deviceId: string) {
        const key = generateSigningKey(deviceId);
        const unsigned = {
          user_id: userId,
          device_id: deviceId,
          algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
          keys: {
            [`curve25519:${deviceId}`]: 'Y3VydmUyNTUxOSBrZXkgb2YgdGhlIGRldmljZQ',
            [`ed25519:${deviceId}`]: key.publicKeyBase64,
          },
        };
        return signJson(unsigned, userId, key);
      }
      const deviceOf = async (call: typeof latticeClient, token: string) =>
        (await call('GET', '/_matrix/client/v3/account/whoami', token)).body.device_id as string;

      it(`answers ${peerName}'s key query and claim for a user here, and queries a ${peerName} user's keys`, async () => {
        const pat = await registerOnLattice('pat');
        const quinn = await peer.register('quinn');
        const patDevice = await deviceOf(latticeClient, pat.accessToken);
        const patKeys = deviceKeys(pat.userId, patDevice);
        const uploaded = await latticeClient('POST', '/_matrix/client/v3/keys/upload', pat.accessToken, {
          device_keys: patKeys,
          one_time_keys: { 'signed_curve25519:AAAAAQ': { key: 'b25lIHRpbWUga2V5', signatures: {} } },
        });
        expect(uploaded).toEqual({ status: 200, body: { one_time_key_counts: { signed_curve25519: 1 } } });

        const seenByPeer = await peerClient('POST', '/_matrix/client/v3/keys/query', quinn.accessToken, {
          device_keys: { [pat.userId]: [] },
        });
        expect(
          (seenByPeer.body.device_keys as Record<string, Record<string, { keys: object }>>)[pat.userId]?.[patDevice]
            ?.keys,
        ).toEqual(patKeys.keys);
        const claimed = await peerClient('POST', '/_matrix/client/v3/keys/claim', quinn.accessToken, {
          one_time_keys: { [pat.userId]: { [patDevice]: 'signed_curve25519' } },
        });
        expect((claimed.body.one_time_keys as Record<string, Record<string, object>>)[pat.userId]?.[patDevice]).toEqual(
          { 'signed_curve25519:AAAAAQ': { key: 'b25lIHRpbWUga2V5', signatures: {} } },
        );

        const quinnDevice = await deviceOf(peerClient, quinn.accessToken);
        const quinnKeys = deviceKeys(quinn.userId, quinnDevice);
        expect(
          (await peerClient('POST', '/_matrix/client/v3/keys/upload', quinn.accessToken, { device_keys: quinnKeys }))
            .status,
        ).toBe(200);
        const seenHere = await latticeClient('POST', '/_matrix/client/v3/keys/query', pat.accessToken, {
          device_keys: { [quinn.userId]: [] },
        });
        expect(
          (seenHere.body.device_keys as Record<string, Record<string, { keys: object }>>)[quinn.userId]?.[quinnDevice]
            ?.keys,
        ).toEqual(quinnKeys.keys);
      });

      describe('send-to-device messages and device lists, with a room in common', () => {
        let rosa: { userId: string; accessToken: string; deviceId: string };
        let sam: { userId: string; accessToken: string; deviceId: string };

        type Sync = {
          next_batch: string;
          to_device?: { events: Array<{ sender: string; type: string; content: object }> };
          device_lists?: { changed?: string[] };
        };
        const syncOf = async (call: typeof latticeClient, token: string, since?: string) =>
          (await call('GET', `${freshSync()}${since ? `&since=${since}` : ''}`, token)).body as Sync;
        const toDeviceOf = async (call: typeof latticeClient, token: string, type: string) =>
          (await syncOf(call, token)).to_device?.events.find((e) => e.type === type);

        beforeAll(async () => {
          const [here, there] = [await registerOnLattice('rosa'), await peer.register('sam')];
          rosa = { ...here, deviceId: await deviceOf(latticeClient, here.accessToken) };
          sam = { ...there, deviceId: await deviceOf(peerClient, there.accessToken) };
          const roomId = (
            await latticeClient('POST', '/_matrix/client/v3/createRoom', rosa.accessToken, { preset: 'public_chat' })
          ).body.room_id as string;
          expect(
            (
              await peerClient(
                'POST',
                `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(latticeName)}`,
                sam.accessToken,
                {},
              )
            ).status,
          ).toBe(200);
        });

        it(`delivers a to-device message from a user here to a ${peerName} user's /sync`, async () => {
          await latticeClient('PUT', '/_matrix/client/v3/sendToDevice/org.example.ping/i1', rosa.accessToken, {
            messages: { [sam.userId]: { [sam.deviceId]: { to: 'sam' } } },
          });
          const received = await eventually(
            `${peerName} to deliver the message`,
            () => toDeviceOf(peerClient, sam.accessToken, 'org.example.ping'),
            30_000,
          );
          expect(received).toEqual({ sender: rosa.userId, type: 'org.example.ping', content: { to: 'sam' } });
        });

        it(`delivers a to-device message from a ${peerName} user to a device here`, async () => {
          await peerClient('PUT', '/_matrix/client/v3/sendToDevice/org.example.pong/i1', sam.accessToken, {
            messages: { [rosa.userId]: { [rosa.deviceId]: { to: 'rosa' } } },
          });
          const received = await eventually(
            'this server to deliver the message',
            () => toDeviceOf(latticeClient, rosa.accessToken, 'org.example.pong'),
            30_000,
          );
          expect(received).toEqual({ sender: sam.userId, type: 'org.example.pong', content: { to: 'rosa' } });
        });

        it(`shows a ${peerName} user's new device keys in device_lists.changed here`, async () => {
          const { next_batch: since } = await syncOf(latticeClient, rosa.accessToken);
          expect(
            (
              await peerClient('POST', '/_matrix/client/v3/keys/upload', sam.accessToken, {
                device_keys: deviceKeys(sam.userId, sam.deviceId),
              })
            ).status,
          ).toBe(200);
          await eventually(
            'the device-list change to reach this server',
            async () =>
              (await syncOf(latticeClient, rosa.accessToken, since)).device_lists?.changed?.includes(sam.userId),
            30_000,
          );
        });

        it(`shows new device keys of a user here in device_lists.changed on ${peerName}`, async () => {
          const { next_batch: since } = await syncOf(peerClient, sam.accessToken);
          expect(
            (
              await latticeClient('POST', '/_matrix/client/v3/keys/upload', rosa.accessToken, {
                device_keys: deviceKeys(rosa.userId, rosa.deviceId),
              })
            ).status,
          ).toBe(200);
          await eventually(
            `the device-list change to reach ${peerName}`,
            async () => (await syncOf(peerClient, sam.accessToken, since)).device_lists?.changed?.includes(rosa.userId),
            30_000,
          );
        });

        /** A request behind user-interactive auth: first without auth, then with the password in the session the server started. */
        async function withPassword(
          call: typeof latticeClient,
          method: string,
          path: string,
          user: { userId: string; accessToken: string },
          body: Record<string, unknown>,
        ) {
          const first = await call(method, path, user.accessToken, body);
          if (first.status !== 401) return first;
          const auth = {
            type: 'm.login.password',
            identifier: { type: 'm.id.user', user: user.userId },
            password: 'interop password',
            session: first.body.session,
          };
          return call(method, path, user.accessToken, { ...body, auth });
        }

        it(`sees a ${peerName} user's cross-signing keys here, and ${peerName} sees those of a user here (m.signing_key_update both ways)`, async () => {
          const [rosaSince, samSince] = [
            (await syncOf(latticeClient, rosa.accessToken)).next_batch,
            (await syncOf(peerClient, sam.accessToken)).next_batch,
          ];
          const [rosaKeys, samKeys] = [crossSigningKeys(rosa.userId), crossSigningKeys(sam.userId)];
          expect(
            (
              await withPassword(
                latticeClient,
                'POST',
                '/_matrix/client/v3/keys/device_signing/upload',
                rosa,
                rosaKeys.upload,
              )
            ).status,
          ).toBe(200);
          expect(
            (
              await withPassword(
                peerClient,
                'POST',
                '/_matrix/client/v3/keys/device_signing/upload',
                sam,
                samKeys.upload,
              )
            ).status,
          ).toBe(200);
          await eventually(
            'the cross-signing change to reach this server',
            async () =>
              (await syncOf(latticeClient, rosa.accessToken, rosaSince)).device_lists?.changed?.includes(sam.userId),
            30_000,
          );
          await eventually(
            `the cross-signing change to reach ${peerName}`,
            async () =>
              (await syncOf(peerClient, sam.accessToken, samSince)).device_lists?.changed?.includes(rosa.userId),
            30_000,
          );

          type Query = {
            master_keys?: Record<string, { keys: object }>;
            self_signing_keys?: Record<string, { keys: object }>;
            user_signing_keys?: Record<string, object>;
          };
          const here = (
            await latticeClient('POST', '/_matrix/client/v3/keys/query', rosa.accessToken, {
              device_keys: { [sam.userId]: [] },
            })
          ).body as Query;
          expect([
            here.master_keys?.[sam.userId]?.keys,
            here.self_signing_keys?.[sam.userId]?.keys,
            here.user_signing_keys?.[sam.userId],
          ]).toEqual([samKeys.upload.master_key.keys, samKeys.upload.self_signing_key.keys, undefined]);
          const there = (
            await peerClient('POST', '/_matrix/client/v3/keys/query', sam.accessToken, {
              device_keys: { [rosa.userId]: [] },
            })
          ).body as Query;
          expect([
            there.master_keys?.[rosa.userId]?.keys,
            there.self_signing_keys?.[rosa.userId]?.keys,
            there.user_signing_keys?.[rosa.userId],
          ]).toEqual([rosaKeys.upload.master_key.keys, rosaKeys.upload.self_signing_key.keys, undefined]);
        });

        it(`shows ${peerName} a new device of a user here, and no longer once it is deleted`, async () => {
          const login = (
            await latticeClient('POST', '/_matrix/client/v3/login', undefined, {
              type: 'm.login.password',
              identifier: { type: 'm.id.user', user: rosa.userId },
              password: 'interop password',
            })
          ).body;
          const newDevice = login.device_id as string;
          await latticeClient('POST', '/_matrix/client/v3/keys/upload', login.access_token as string, {
            device_keys: deviceKeys(rosa.userId, newDevice),
          });
          const devicesThere = async () =>
            Object.keys(
              (
                (
                  await peerClient('POST', '/_matrix/client/v3/keys/query', sam.accessToken, {
                    device_keys: { [rosa.userId]: [] },
                  })
                ).body.device_keys as Record<string, object>
              )[rosa.userId] ?? {},
            );
          await eventually(
            `${peerName} to see the new device`,
            async () => (await devicesThere()).includes(newDevice),
            30_000,
          );

          expect(
            (await withPassword(latticeClient, 'DELETE', `/_matrix/client/v3/devices/${newDevice}`, rosa, {})).status,
          ).toBe(200);
          await eventually(
            `${peerName} to see the device gone`,
            async () => !(await devicesThere()).includes(newDevice),
            30_000,
          );
        });

        it(`shows a new device of a ${peerName} user here, and no longer once it is deleted there`, async () => {
          const login = (
            await peerClient('POST', '/_matrix/client/v3/login', undefined, {
              type: 'm.login.password',
              identifier: { type: 'm.id.user', user: sam.userId },
              password: 'interop password',
            })
          ).body;
          const newDevice = login.device_id as string;
          await peerClient('POST', '/_matrix/client/v3/keys/upload', login.access_token as string, {
            device_keys: deviceKeys(sam.userId, newDevice),
          });
          const devicesHere = async () =>
            Object.keys(
              (
                (
                  await latticeClient('POST', '/_matrix/client/v3/keys/query', rosa.accessToken, {
                    device_keys: { [sam.userId]: [] },
                  })
                ).body.device_keys as Record<string, object>
              )[sam.userId] ?? {},
            );
          await eventually(
            'this server to see the new device',
            async () => (await devicesHere()).includes(newDevice),
            30_000,
          );

          expect(
            (await withPassword(peerClient, 'DELETE', `/_matrix/client/v3/devices/${newDevice}`, sam, {})).status,
          ).toBe(200);
          await eventually(
            'this server to see the device gone',
            async () => !(await devicesHere()).includes(newDevice),
            30_000,
          );
        });

        it(`verifies a ${peerName} user by SAS over to-device messages, and each user ends up cross-signing verified by the other`, async () => {
          const outcome = await verifyUsersBySas(lattice.url, peer.clientUrl, ['sas-vic', 'sas-wes']);
          expect(outcome.emoji[0]).toHaveLength(7);
          expect(outcome).toEqual({
            emoji: [outcome.emoji[0], outcome.emoji[0]],
            firstVerifiesSecond: true,
            secondVerifiesFirst: true,
            signatureStoredForFirst: true,
          });
        }, 120_000);

        it(`exchanges encrypted messages with a ${peerName} user, matrix-js-sdk with Rust crypto on both sides`, async () => {
          expect(await exchangeEncryptedMessages(lattice.url, peer.clientUrl, ['crypto-tom', 'crypto-uma'])).toEqual([
            'from crypto-tom',
            'from crypto-uma',
          ]);
        }, 120_000);
      });
    });

    describe('declined invites (make_leave and send_leave)', () => {
      it(`takes in a ${peerName} user's rejection of an invite to a room here`, async () => {
        const owner = await registerOnLattice('nora');
        const lena = await peer.register('lena');
        const roomId = (
          await latticeClient('POST', '/_matrix/client/v3/createRoom', owner.accessToken, { preset: 'private_chat' })
        ).body.room_id as string;
        expect(
          (
            await latticeClient(
              'POST',
              `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`,
              owner.accessToken,
              { user_id: lena.userId },
            )
          ).status,
        ).toBe(200);
        await eventually(
          'the invite to reach lena',
          async () =>
            (
              (await peerClient('GET', freshSync(), lena.accessToken)).body.rooms as {
                invite?: Record<string, unknown>;
              }
            )?.invite?.[roomId] !== undefined,
        );
        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`,
              lena.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        const member = await latticeClient(
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(lena.userId)}`,
          owner.accessToken,
        );
        expect(member.body.membership).toBe('leave');
      });

      it(`declines an invite from ${peerName} to a room this server is not in`, async () => {
        const olga = await peer.register('olga');
        const mona = await registerOnLattice('mona');
        const roomId = (
          await peerClient('POST', '/_matrix/client/v3/createRoom', olga.accessToken, { preset: 'private_chat' })
        ).body.room_id as string;
        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`,
              olga.accessToken,
              { user_id: mona.userId },
            )
          ).status,
        ).toBe(200);
        await eventually(
          'the invite to show here',
          async () =>
            (
              (await latticeClient('GET', '/_matrix/client/v3/sync?timeout=0', mona.accessToken)).body.rooms as {
                invite?: Record<string, unknown>;
              }
            )?.invite?.[roomId] !== undefined,
        );
        expect(
          (
            await latticeClient(
              'POST',
              `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`,
              mona.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        const member = await peerClient(
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(mona.userId)}`,
          olga.accessToken,
        );
        expect(member.body.membership).toBe('leave');
        expect(
          (
            (await latticeClient('GET', '/_matrix/client/v3/sync?timeout=0', mona.accessToken)).body.rooms as {
              invite?: Record<string, unknown>;
            }
          )?.invite?.[roomId],
        ).toBeUndefined();
      });
    });

    describe('memberships of a room this server is not in, or no longer in', () => {
      interface SyncedEvent {
        type: string;
        sender: string;
        state_key?: string;
        content: { membership?: string; is_direct?: boolean };
        unsigned?: { prev_content?: { membership?: string; is_direct?: boolean }; prev_sender?: string };
      }
      interface SyncedRoom {
        state?: { events: SyncedEvent[] };
        timeline?: { events: SyncedEvent[] };
        invite_state?: { events: SyncedEvent[] };
      }
      type SyncedRooms = Partial<Record<'join' | 'invite' | 'leave', Record<string, SyncedRoom>>>;
      const room = (id: string) => encodeURIComponent(id);
      async function latticeSync(token: string, since?: string) {
        const { body } = await latticeClient(
          'GET',
          `/_matrix/client/v3/sync?timeout=0${since ? `&since=${encodeURIComponent(since)}` : ''}`,
          token,
        );
        return { rooms: (body.rooms ?? {}) as SyncedRooms, nextBatch: body.next_batch as string };
      }
      /** The user's own member event in a room of one section of a sync, from its timeline or state. */
      const ownMember = (section: SyncedRoom | undefined, userId: string) =>
        [...(section?.timeline?.events ?? []), ...(section?.state?.events ?? [])].find(
          (e) => e.type === 'm.room.member' && e.state_key === userId,
        );
      /** Waits for the invite to show here, and returns the sync token from then. */
      const inviteShown = (token: string, roomId: string) =>
        eventually('the invite to show here', async () => {
          const synced = await latticeSync(token);
          return synced.rooms.invite?.[roomId] && synced.nextBatch;
        });
      const peerRoom = async (token: string, body: Record<string, unknown>) =>
        (await peerClient('POST', '/_matrix/client/v3/createRoom', token, body)).body.room_id as string;

      it(`shows a declined invite from ${peerName} in rooms.leave, with the leave sent through ${peerName}`, async () => {
        const olga = await peer.register('olga-oob');
        const mona = await registerOnLattice('mona-oob');
        const roomId = await peerRoom(olga.accessToken, { preset: 'private_chat', invite: [mona.userId] });
        const since = await inviteShown(mona.accessToken, roomId);
        await latticeClient('POST', `/_matrix/client/v3/rooms/${room(roomId)}/leave`, mona.accessToken, {});
        const { rooms } = await latticeSync(mona.accessToken, since);
        expect(ownMember(rooms.leave?.[roomId], mona.userId)).toMatchObject({ content: { membership: 'leave' } });
        const member = await peerClient(
          'GET',
          `/_matrix/client/v3/rooms/${room(roomId)}/state/m.room.member/${encodeURIComponent(mona.userId)}`,
          olga.accessToken,
        );
        expect(member.body.membership).toBe('leave');
      });

      it(`declines an invite from ${peerName} on its own while ${peerName} is down, and shows that leave`, async () => {
        const olga = await peer.register('olga-down');
        const mona = await registerOnLattice('mona-down');
        const roomId = await peerRoom(olga.accessToken, { preset: 'private_chat', invite: [mona.userId] });
        const since = await inviteShown(mona.accessToken, roomId);
        await peer.stop();
        try {
          const left = await latticeClient(
            'POST',
            `/_matrix/client/v3/rooms/${room(roomId)}/leave`,
            mona.accessToken,
            {},
          );
          expect(left.status).toBe(200);
          const { rooms } = await latticeSync(mona.accessToken, since);
          expect(rooms.invite?.[roomId]).toBeUndefined();
          expect(ownMember(rooms.leave?.[roomId], mona.userId)).toMatchObject({
            sender: mona.userId,
            content: { membership: 'leave' },
          });
        } finally {
          await peer.start();
        }
      }, 90_000);

      it(`shows an invite rescinded by the ${peerName} user who sent it as a leave`, async () => {
        const olga = await peer.register('olga-rescind');
        const mona = await registerOnLattice('mona-rescind');
        const roomId = await peerRoom(olga.accessToken, { preset: 'private_chat', invite: [mona.userId] });
        const since = await inviteShown(mona.accessToken, roomId);
        await peerClient('POST', `/_matrix/client/v3/rooms/${room(roomId)}/kick`, olga.accessToken, {
          user_id: mona.userId,
        });
        await eventually('the rescinded invite to show as a leave', async () => {
          const { rooms } = await latticeSync(mona.accessToken, since);
          return ownMember(rooms.leave?.[roomId], mona.userId)?.sender === olga.userId;
        });
      });

      it(`is invited back by ${peerName} after a ban and an unban, and joins through ${peerName}`, async () => {
        const olga = await peer.register('olga-unban');
        const mona = await registerOnLattice('mona-unban');
        const roomId = await peerRoom(olga.accessToken, { preset: 'public_chat' });
        const via = `?server_name=${encodeURIComponent(peer.serverName)}`;
        expect(
          (await latticeClient('POST', `/_matrix/client/v3/join/${room(roomId)}${via}`, mona.accessToken, {})).status,
        ).toBe(200);
        await peerClient('POST', `/_matrix/client/v3/rooms/${room(roomId)}/ban`, olga.accessToken, {
          user_id: mona.userId,
        });
        await eventually('the ban to reach this server', async () => {
          const { rooms } = await latticeSync(mona.accessToken);
          return rooms.join?.[roomId] === undefined;
        });
        await peerClient('POST', `/_matrix/client/v3/rooms/${room(roomId)}/unban`, olga.accessToken, {
          user_id: mona.userId,
        });
        await peerClient('POST', `/_matrix/client/v3/rooms/${room(roomId)}/invite`, olga.accessToken, {
          user_id: mona.userId,
        });
        await inviteShown(mona.accessToken, roomId);
        expect(
          (await latticeClient('POST', `/_matrix/client/v3/join/${room(roomId)}${via}`, mona.accessToken, {})).status,
        ).toBe(200);
        await eventually(`${peerName} to see the join`, async () => {
          const { body } = await peerClient(
            'GET',
            `/_matrix/client/v3/rooms/${room(roomId)}/joined_members`,
            olga.accessToken,
          );
          return Object.keys((body.joined as object) ?? {}).includes(mona.userId);
        });
      });

      it(`rejoins a ${peerName} room through ${peerName}, which refuses once the room became invite-only`, async () => {
        const olga = await peer.register('olga-rejoin');
        const mona = await registerOnLattice('mona-rejoin');
        const roomId = await peerRoom(olga.accessToken, { preset: 'public_chat' });
        const via = `?server_name=${encodeURIComponent(peer.serverName)}`;
        expect(
          (await latticeClient('POST', `/_matrix/client/v3/join/${room(roomId)}${via}`, mona.accessToken, {})).status,
        ).toBe(200);
        await latticeClient('POST', `/_matrix/client/v3/rooms/${room(roomId)}/leave`, mona.accessToken, {});
        await eventually(`${peerName} to see the leave`, async () => {
          const { body } = await peerClient(
            'GET',
            `/_matrix/client/v3/rooms/${room(roomId)}/joined_members`,
            olga.accessToken,
          );
          return !Object.keys((body.joined as object) ?? {}).includes(mona.userId);
        });
        // This server is out of the room and never hears of the change: its own state still says public.
        await peerClient('PUT', `/_matrix/client/v3/rooms/${room(roomId)}/state/m.room.join_rules/`, olga.accessToken, {
          join_rule: 'invite',
        });
        const rejoin = await latticeClient(
          'POST',
          `/_matrix/client/v3/join/${room(roomId)}${via}`,
          mona.accessToken,
          {},
        );
        expect(rejoin.status).toBe(403);
      });

      it(`rejoins a ${peerName} room and pages back through what was sent while it was away`, async () => {
        const olga = await peer.register('olga-away');
        const mona = await registerOnLattice('mona-away');
        const roomId = await peerRoom(olga.accessToken, { preset: 'public_chat' });
        const join = `/_matrix/client/v3/join/${room(roomId)}?server_name=${encodeURIComponent(peer.serverName)}`;
        expect((await latticeClient('POST', join, mona.accessToken, {})).status).toBe(200);
        await latticeClient('POST', `/_matrix/client/v3/rooms/${room(roomId)}/leave`, mona.accessToken, {});
        await eventually(`${peerName} to see the leave`, async () => {
          const { body } = await peerClient(
            'GET',
            `/_matrix/client/v3/rooms/${room(roomId)}/joined_members`,
            olga.accessToken,
          );
          return !Object.keys((body.joined as object) ?? {}).includes(mona.userId);
        });
        const away = Array.from({ length: 15 }, (_, i) => `while away ${i}`);
        for (const [i, body] of away.entries())
          await peerClient(
            'PUT',
            `/_matrix/client/v3/rooms/${room(roomId)}/send/m.room.message/away${i}`,
            olga.accessToken,
            {
              msgtype: 'm.text',
              body,
            },
          );
        expect((await latticeClient('POST', join, mona.accessToken, {})).status).toBe(200);
        expect(await messageBodies(latticeClient, mona.accessToken, roomId)).toEqual(away);
      });

      it(`lets a user into a restricted ${peerName} room on the word of a member here who may invite`, async () => {
        const olga = await peer.register('olga-vouch');
        const [bob, carl] = [await registerOnLattice('bob-vouch'), await registerOnLattice('carl-vouch')];
        const allowed = await peerRoom(olga.accessToken, { preset: 'public_chat' });
        const roomId = await peerRoom(olga.accessToken, {
          preset: 'public_chat',
          room_version: '11',
          initial_state: [
            {
              type: 'm.room.join_rules',
              state_key: '',
              content: {
                join_rule: 'restricted',
                allow: [{ type: 'm.room_membership', room_id: allowed, via: [peer.serverName] }],
              },
            },
          ],
        });
        const via = `?server_name=${encodeURIComponent(peer.serverName)}`;
        const join = (user: { accessToken: string }, id: string) =>
          latticeClient('POST', `/_matrix/client/v3/join/${room(id)}${via}`, user.accessToken, {});
        expect((await join(bob, allowed)).status).toBe(200);
        expect((await join(bob, roomId)).status).toBe(200);
        const levels = { invite: 50, users: { [olga.userId]: 100, [bob.userId]: 50 } };
        await peerClient(
          'PUT',
          `/_matrix/client/v3/rooms/${room(roomId)}/state/m.room.power_levels/`,
          olga.accessToken,
          levels,
        );
        await eventually('the power levels to reach this server', async () => {
          const { body } = await latticeClient(
            'GET',
            `/_matrix/client/v3/rooms/${room(roomId)}/state/m.room.power_levels/`,
            bob.accessToken,
          );
          return (body.users as Record<string, number> | undefined)?.[bob.userId] === 50;
        });
        expect((await join(carl, allowed)).status).toBe(200);
        const joined = await join(carl, roomId);
        expect(joined.status).toBe(200);
        const member = await latticeClient(
          'GET',
          `/_matrix/client/v3/rooms/${room(roomId)}/state/m.room.member/${encodeURIComponent(carl.userId)}`,
          carl.accessToken,
        );
        expect(member.body.join_authorised_via_users_server).toBe(bob.userId);
      });

      it(`gives the join of a user invited to a ${peerName} direct chat the invite as unsigned.prev_content`, async () => {
        const olga = await peer.register('olga-direct');
        const mona = await registerOnLattice('mona-direct');
        const roomId = await peerRoom(olga.accessToken, {
          preset: 'trusted_private_chat',
          is_direct: true,
          invite: [mona.userId],
        });
        await inviteShown(mona.accessToken, roomId);
        expect(
          (await latticeClient('POST', `/_matrix/client/v3/join/${room(roomId)}`, mona.accessToken, {})).status,
        ).toBe(200);
        const { rooms } = await latticeSync(mona.accessToken);
        expect(ownMember(rooms.join?.[roomId], mona.userId)).toMatchObject({
          content: { membership: 'join' },
          unsigned: { prev_content: { membership: 'invite', is_direct: true }, prev_sender: olga.userId },
        });
      });
    });

    describe('knocking and spaces', () => {
      const knockable = {
        initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
      };
      const memberOf = async (call: typeof latticeClient, token: string, roomId: string, userId: string) =>
        (
          await call(
            'GET',
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`,
            token,
          )
        ).body.membership;

      it(`takes a ${peerName} user's knock on a room here, which our admin accepts`, async () => {
        const owner = await registerOnLattice('knock-owner');
        const uma = await peer.register('uma');
        const roomId = (
          await latticeClient('POST', '/_matrix/client/v3/createRoom', owner.accessToken, {
            ...knockable,
            name: 'Knock on Lattice',
          })
        ).body.room_id as string;
        const room = encodeURIComponent(roomId);
        expect(
          await peerClient(
            'POST',
            `/_matrix/client/v3/knock/${room}?server_name=${encodeURIComponent(latticeName)}`,
            uma.accessToken,
            { reason: 'from the peer' },
          ),
        ).toMatchObject({ status: 200, body: { room_id: roomId } });
        expect(await memberOf(latticeClient, owner.accessToken, roomId, uma.userId)).toBe('knock');
        await eventually(
          `${peerName} to show the knock`,
          async () =>
            ((await peerClient('GET', freshSync(), uma.accessToken)).body.rooms as { knock?: Record<string, unknown> })
              ?.knock?.[roomId] !== undefined,
        );

        expect(
          (
            await latticeClient('POST', `/_matrix/client/v3/rooms/${room}/invite`, owner.accessToken, {
              user_id: uma.userId,
            })
          ).status,
        ).toBe(200);
        await eventually(
          'the invite to reach uma',
          async () =>
            ((await peerClient('GET', freshSync(), uma.accessToken)).body.rooms as { invite?: Record<string, unknown> })
              ?.invite?.[roomId] !== undefined,
        );
        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/join/${room}?server_name=${encodeURIComponent(latticeName)}`,
              uma.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        expect(await memberOf(latticeClient, owner.accessToken, roomId, uma.userId)).toBe('join');
      });

      it(`knocks on a ${peerName} room, which the ${peerName} admin accepts`, async () => {
        const vera = await peer.register('vera');
        const walt = await registerOnLattice('walt');
        const roomId = (
          await peerClient('POST', '/_matrix/client/v3/createRoom', vera.accessToken, {
            ...knockable,
            name: `Knock on ${peerName}`,
          })
        ).body.room_id as string;
        const room = encodeURIComponent(roomId);
        expect(
          await latticeClient(
            'POST',
            `/_matrix/client/v3/knock/${room}?via=${encodeURIComponent(peer.serverName)}`,
            walt.accessToken,
            { reason: 'from lattice' },
          ),
        ).toMatchObject({ status: 200, body: { room_id: roomId } });
        const knock = (
          (await latticeClient('GET', '/_matrix/client/v3/sync?timeout=0', walt.accessToken)).body.rooms as {
            knock: Record<string, { knock_state: { events: Array<{ type: string; content: object }> } }>;
          }
        ).knock[roomId];
        expect(knock.knock_state.events.find((e) => e.type === 'm.room.name')?.content).toEqual({
          name: `Knock on ${peerName}`,
        });
        await eventually(
          `${peerName} to see the knock`,
          async () => (await memberOf(peerClient, vera.accessToken, roomId, walt.userId)) === 'knock',
        );

        expect(
          (
            await peerClient('POST', `/_matrix/client/v3/rooms/${room}/invite`, vera.accessToken, {
              user_id: walt.userId,
            })
          ).status,
        ).toBe(200);
        await eventually('the invite to replace the knock here', async () => {
          const rooms = (await latticeClient('GET', '/_matrix/client/v3/sync?timeout=0', walt.accessToken)).body
            .rooms as { invite: Record<string, unknown>; knock: Record<string, unknown> };
          return rooms.invite[roomId] !== undefined && rooms.knock[roomId] === undefined;
        });
        expect(
          (
            await latticeClient(
              'POST',
              `/_matrix/client/v3/join/${room}?via=${encodeURIComponent(peer.serverName)}`,
              walt.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        await eventually(
          `${peerName} to see walt join`,
          async () => (await memberOf(peerClient, vera.accessToken, roomId, walt.userId)) === 'join',
        );
      });

      it(`retracts a knock on a ${peerName} room through make_leave and send_leave`, async () => {
        // A server sends a room's events only to servers joined to it, so a rejection of the knock would not reach this server.
        const yves = await peer.register('yves');
        const zoe = await registerOnLattice('zoe');
        const roomId = (await peerClient('POST', '/_matrix/client/v3/createRoom', yves.accessToken, knockable)).body
          .room_id as string;
        const room = encodeURIComponent(roomId);
        expect(
          (
            await latticeClient(
              'POST',
              `/_matrix/client/v3/knock/${room}?via=${encodeURIComponent(peer.serverName)}`,
              zoe.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        const { body } = await latticeClient('GET', '/_matrix/client/v3/sync?timeout=0', zoe.accessToken);
        expect(
          (await latticeClient('POST', `/_matrix/client/v3/rooms/${room}/leave`, zoe.accessToken, {})).status,
        ).toBe(200);
        expect(await memberOf(peerClient, yves.accessToken, roomId, zoe.userId)).toBe('leave');
        const after = (
          await latticeClient(
            'GET',
            `/_matrix/client/v3/sync?timeout=0&since=${encodeURIComponent(body.next_batch as string)}`,
            zoe.accessToken,
          )
        ).body.rooms as { leave: Record<string, unknown> };
        expect(after.leave[roomId]).toBeDefined();
      });

      it(`serves ${peerName} the hierarchy of a room here that is a child of a ${peerName} space`, async () => {
        const ada = await peer.register('ada');
        const ben = await registerOnLattice('ben');
        const space = (
          await peerClient('POST', '/_matrix/client/v3/createRoom', ada.accessToken, {
            preset: 'public_chat',
            name: 'Space with a child elsewhere',
            creation_content: { type: 'm.space' },
          })
        ).body.room_id as string;
        const child = (
          await latticeClient('POST', '/_matrix/client/v3/createRoom', ben.accessToken, {
            preset: 'public_chat',
            name: 'Child on Lattice',
          })
        ).body.room_id as string;
        await peerClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(space)}/state/m.space.child/${encodeURIComponent(child)}`,
          ada.accessToken,
          { via: [latticeName] },
        );
        const { status, body } = await peerClient(
          'GET',
          `/_matrix/client/v1/rooms/${encodeURIComponent(space)}/hierarchy`,
          ada.accessToken,
        );
        expect(status).toBe(200);
        expect(
          (body.rooms as Array<{ room_id: string; name?: string }>).map((r) => ({ room_id: r.room_id, name: r.name })),
        ).toEqual([
          { room_id: space, name: 'Space with a child elsewhere' },
          { room_id: child, name: 'Child on Lattice' },
        ]);
      });

      it(`serves ${peerName} a restricted room here only once ${peerName} is known to be in a room it allows`, async () => {
        const ada = await peer.register('ada-restricted');
        const ben = await registerOnLattice('ben-restricted');
        const space = (
          await peerClient('POST', '/_matrix/client/v3/createRoom', ada.accessToken, {
            preset: 'public_chat',
            name: 'Space allowing a room elsewhere',
            creation_content: { type: 'm.space' },
          })
        ).body.room_id as string;
        const child = (
          await latticeClient('POST', '/_matrix/client/v3/createRoom', ben.accessToken, {
            preset: 'public_chat',
            room_version: '8',
            initial_state: [
              {
                type: 'm.room.join_rules',
                state_key: '',
                content: {
                  join_rule: 'restricted',
                  allow: [{ type: 'm.room_membership', room_id: space, via: [peer.serverName] }],
                },
              },
            ],
          })
        ).body.room_id as string;
        await peerClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(space)}/state/m.space.child/${encodeURIComponent(child)}`,
          ada.accessToken,
          { via: [latticeName] },
        );
        const roomsSeen = async () =>
          (
            (
              await peerClient(
                'GET',
                `/_matrix/client/v1/rooms/${encodeURIComponent(space)}/hierarchy`,
                ada.accessToken,
              )
            ).body.rooms as Array<{ room_id: string }>
          ).map((r) => r.room_id);
        // This server is not in the space: it cannot tell that ada's server has anyone there.
        expect(await roomsSeen()).toEqual([space]);
        const joined = await latticeClient(
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(space)}?server_name=${encodeURIComponent(peer.serverName)}`,
          ben.accessToken,
          {},
        );
        expect(joined.status).toBe(200);
        await eventually('the restricted room to show in the hierarchy', async () =>
          (await roomsSeen()).includes(child),
        );
      });

      it(`reads the hierarchy of a space on ${peerName}, its child asked about over federation`, async () => {
        const xena = await peer.register('xena');
        const yuri = await registerOnLattice('yuri');
        const space = (
          await peerClient('POST', '/_matrix/client/v3/createRoom', xena.accessToken, {
            preset: 'public_chat',
            name: `${peerName} space`,
            creation_content: { type: 'm.space' },
          })
        ).body.room_id as string;
        const child = (
          await peerClient('POST', '/_matrix/client/v3/createRoom', xena.accessToken, {
            preset: 'public_chat',
            name: `${peerName} child`,
            topic: 'in the space',
          })
        ).body.room_id as string;
        await peerClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(space)}/state/m.space.child/${encodeURIComponent(child)}`,
          xena.accessToken,
          { via: [peer.serverName] },
        );
        expect(
          (
            await latticeClient(
              'POST',
              `/_matrix/client/v3/join/${encodeURIComponent(space)}?via=${encodeURIComponent(peer.serverName)}`,
              yuri.accessToken,
              {},
            )
          ).status,
        ).toBe(200);

        const { status, body } = await latticeClient(
          'GET',
          `/_matrix/client/v1/rooms/${encodeURIComponent(space)}/hierarchy`,
          yuri.accessToken,
        );
        expect(status).toBe(200);
        const rooms = body.rooms as Array<{ room_id: string; name?: string; topic?: string; room_type?: string }>;
        expect(rooms.map((r) => r.name)).toEqual([`${peerName} space`, `${peerName} child`]);
        expect(rooms[0].room_type).toBe('m.space');
        expect(rooms[1]).toMatchObject({ room_id: child, topic: 'in the space' });
      });
    });

    describe('room upgrades', () => {
      const enc = encodeURIComponent;
      const tombstoneOf = async (call: typeof latticeClient, token: string, roomId: string) =>
        (await call('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.tombstone/`, token)).body
          .replacement_room as string | undefined;
      const membershipIn = async (call: typeof latticeClient, token: string, roomId: string, userId: string) =>
        (await call('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`, token)).body
          .membership;
      const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

      it(`is followed by a ${peerName} user: the tombstone reaches ${peerName}, whose user joins the new room through it`, async () => {
        const kip = await registerOnLattice('kip');
        const lou = await peer.register('lou');
        const oldRoomId = (
          await latticeClient('POST', '/_matrix/client/v3/createRoom', kip.accessToken, {
            preset: 'public_chat',
            room_version: '11',
            name: 'Before the upgrade',
          })
        ).body.room_id as string;
        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/join/${enc(oldRoomId)}?server_name=${enc(latticeName)}`,
              lou.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        const upgraded = await latticeClient(
          'POST',
          `/_matrix/client/v3/rooms/${enc(oldRoomId)}/upgrade`,
          kip.accessToken,
          { new_version: '12' },
        );
        expect(upgraded.status).toBe(200);
        const newRoomId = upgraded.body.replacement_room as string;
        await eventually(
          `${peerName} to have the tombstone`,
          async () => (await tombstoneOf(peerClient, lou.accessToken, oldRoomId)) === newRoomId,
          30_000,
        );
        // client-server-api "Room Upgrades": the tombstone's sender names the server to join through.
        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/join/${enc(newRoomId)}?server_name=${enc(latticeName)}`,
              lou.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        await eventually(
          `the join from ${peerName} to arrive here`,
          async () => (await membershipIn(latticeClient, kip.accessToken, newRoomId, lou.userId)) === 'join',
          30_000,
        );
        const create = (
          await peerClient('GET', `/_matrix/client/v3/rooms/${enc(newRoomId)}/state/m.room.create/`, lou.accessToken)
        ).body;
        expect(create).toMatchObject({ room_version: '12', predecessor: { room_id: oldRoomId } });
        expect(
          (await peerClient('GET', `/_matrix/client/v3/rooms/${enc(newRoomId)}/state/m.room.name/`, lou.accessToken))
            .body,
        ).toEqual({ name: 'Before the upgrade' });
      }, 90_000);

      it(`follows an upgrade made on ${peerName}: the tombstone arrives here and the user here joins the new room through it`, async () => {
        const max = await peer.register('max');
        const nia = await registerOnLattice('nia');
        const oldRoomId = (
          await peerClient('POST', '/_matrix/client/v3/createRoom', max.accessToken, {
            preset: 'public_chat',
            room_version: '11',
          })
        ).body.room_id as string;
        expect(
          (
            await latticeClient(
              'POST',
              `/_matrix/client/v3/join/${enc(oldRoomId)}?via=${enc(peer.serverName)}`,
              nia.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        const upgraded = await peerClient(
          'POST',
          `/_matrix/client/v3/rooms/${enc(oldRoomId)}/upgrade`,
          max.accessToken,
          { new_version: '12' },
        );
        expect(upgraded.status).toBe(200);
        const newRoomId = upgraded.body.replacement_room as string;
        await eventually(
          'the tombstone to arrive here',
          async () => (await tombstoneOf(latticeClient, nia.accessToken, oldRoomId)) === newRoomId,
          30_000,
        );
        expect(
          (
            await latticeClient(
              'POST',
              `/_matrix/client/v3/join/${enc(newRoomId)}?via=${enc(serverOf(max.userId))}`,
              nia.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
        await eventually(
          `${peerName} to see the join`,
          async () => (await membershipIn(peerClient, max.accessToken, newRoomId, nia.userId)) === 'join',
          30_000,
        );
        expect(
          (
            await latticeClient(
              'GET',
              `/_matrix/client/v3/rooms/${enc(newRoomId)}/state/m.room.create/`,
              nia.accessToken,
            )
          ).body,
        ).toMatchObject({ predecessor: { room_id: oldRoomId } });
      }, 90_000);
    });

    describe('restarts', () => {
      let ivy: { userId: string; accessToken: string };
      let jack: { userId: string; accessToken: string };
      let roomId: string;

      const bodies = (call: typeof latticeClient, token: string) => messageBodies(call, token, roomId);

      beforeAll(async () => {
        ivy = await registerOnLattice('ivy');
        jack = await peer.register('jack');
        roomId = (
          await latticeClient('POST', '/_matrix/client/v3/createRoom', ivy.accessToken, { preset: 'public_chat' })
        ).body.room_id as string;
        expect(
          (
            await peerClient(
              'POST',
              `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(latticeName)}`,
              jack.accessToken,
              {},
            )
          ).status,
        ).toBe(200);
      });

      it(`catches ${peerName} up on what was sent while it was down`, async () => {
        await peer.stop();
        await latticeClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/away`,
          ivy.accessToken,
          { msgtype: 'm.text', body: 'while the peer was down' },
        );
        await peer.start();
        await eventually(
          `${peerName} to catch up`,
          async () => (await bodies(peerClient, jack.accessToken)).includes('while the peer was down'),
          45_000,
        );
      }, 90_000);

      it(`is caught up by ${peerName} on what was sent while this server was down`, async () => {
        await lattice.close();
        const missed = ['while lattice was down 1', 'while lattice was down 2', 'while lattice was down 3'];
        for (const [i, body] of missed.entries()) {
          await peerClient(
            'PUT',
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/gone-${i}`,
            jack.accessToken,
            { msgtype: 'm.text', body },
          );
        }
        lattice = await startEmbeddedServer(latticeConfig, lattice.dataDir);
        // Anything this server sends tells the peer it is back, which wakes its queue for it; the peer (Synapse) may send only
        // the latest event, and this server fetches the ones before it (get_missing_events).
        await latticeClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/back`,
          ivy.accessToken,
          { msgtype: 'm.text', body: 'back' },
        );
        await eventually(
          'this server to catch up on every message',
          async () => {
            const seen = await bodies(latticeClient, ivy.accessToken);
            return missed.every((m) => seen.includes(m));
          },
          45_000,
        );
      }, 90_000);

      it(`keeps what it queued for a ${peerName} that is down across a restart of this server`, async () => {
        await peer.stop();
        await latticeClient(
          'PUT',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/queued`,
          ivy.accessToken,
          { msgtype: 'm.text', body: 'queued across a restart' },
        );
        await lattice.close();
        lattice = await startEmbeddedServer(latticeConfig, lattice.dataDir);
        await peer.start();
        await eventually(
          `${peerName} to get what was queued`,
          async () => (await bodies(peerClient, jack.accessToken)).includes('queued across a restart'),
          45_000,
        );
      }, 90_000);
    });
  });
}
