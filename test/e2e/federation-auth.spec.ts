import { readFileSync } from 'node:fs';
import { httpsJson } from '../../libs/federation/src/client/https-json';
import { authorizationHeader, generateSigningKey, type SigningKey } from '../../libs/protocol/src';
import { buildEvent } from '../../libs/rooms/src/event-builder';
import { Keyring } from '../../libs/rooms/src/keyring';
import { loadRoomHead } from '../../libs/rooms/src/room-head';
import { DATABASE, type Database } from '../../libs/storage/src';
import { startFederatingServer, type FederatingServer } from '../support/federating-server';
import { makeTestCertificates } from '../../tools/tls/test-certificates';

type Server = FederatingServer;

/**
 * Two deployments of this server federating over TLS (a throwaway CA), and
 * what the receiving side does with requests that are not properly signed
 * (server-server-api "Request Authentication").
 */
describe('federation request authentication between two deployments', () => {
  const certs = makeTestCertificates();
  const ca = [readFileSync(certs.caFile, 'utf8')];
  let a: Server;
  let b: Server;
  let bKey: SigningKey;
  let aliceId: string;

  async function client(server: Server, method: string, path: string, body?: unknown, token?: string) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { host: server.name, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** A federation request to A, with whatever Authorization header the case needs. */
  function toA(path: string, authorization?: string) {
    return httpsJson({ host: '127.0.0.1', port: a.port, hostHeader: a.name, tlsName: 'localhost' }, 'GET', path, {
      ca,
      timeoutMs: 10_000,
      headers: authorization ? { authorization } : {},
    });
  }

  const profilePath = () => `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(aliceId)}`;
  const signedByB = (overrides: { uri?: string; destination?: string; key?: SigningKey; origin?: string } = {}) =>
    authorizationHeader(
      {
        method: 'GET',
        uri: overrides.uri ?? profilePath(),
        origin: overrides.origin ?? b.name,
        destination: overrides.destination ?? a.name,
      },
      overrides.key ?? bKey,
    );

  beforeAll(async () => {
    // B goes by an IP literal, so a server ACL can tell the two apart (ACLs ignore ports).
    [a, b] = await Promise.all([startFederatingServer(certs), startFederatingServer(certs, '127.0.0.1')]);
    bKey = await b.app.get(Keyring).signingKey(b.name);
    const registered = await client(a, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: 'pw pw pw',
      auth: { type: 'm.login.dummy' },
    });
    aliceId = registered.body.user_id as string;
    await client(
      a,
      'PUT',
      `/_matrix/client/v3/profile/${encodeURIComponent(aliceId)}/displayname`,
      { displayname: 'Alice' },
      registered.body.access_token as string,
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('answers a request signed by the origin, after fetching its key over TLS', async () => {
    expect(await toA(profilePath(), signedByB())).toMatchObject({ status: 200, body: { displayname: 'Alice' } });
  });

  it('serves a user of one deployment to a client of the other through federation', async () => {
    expect(await client(b, 'GET', `/_matrix/client/v3/profile/${encodeURIComponent(aliceId)}`)).toEqual({
      status: 200,
      body: { displayname: 'Alice' },
    });
  });

  it('lets a third party check an OpenID token a user requested', async () => {
    const login = await client(a, 'POST', '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'alice' },
      password: 'pw pw pw',
    });
    const issued = await client(
      a,
      'POST',
      `/_matrix/client/v3/user/${encodeURIComponent(aliceId)}/openid/request_token`,
      {},
      login.body.access_token as string,
    );
    expect(issued).toMatchObject({ status: 200, body: { token_type: 'Bearer', matrix_server_name: a.name } });
    const check = (token: string) =>
      toA(`/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(token)}`);
    expect(await check(issued.body.access_token as string)).toMatchObject({ status: 200, body: { sub: aliceId } });
    expect(await check('oid_forged')).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });
  });

  it.each([
    ['no Authorization header', () => undefined, /Missing X-Matrix/],
    ['a header that is not X-Matrix', () => 'Bearer something', /Malformed/],
    [
      'a request signed for another destination',
      () => signedByB({ destination: 'elsewhere.example' }),
      /not localhost/,
    ],
    [
      'a signature over another path',
      () => signedByB({ uri: '/_matrix/federation/v1/query/profile?user_id=%40bob%3Aelsewhere' }),
      /Invalid signature/,
    ],
    [
      'a key the origin never published',
      () => signedByB({ key: generateSigningKey('forged') }),
      /No valid key ed25519:forged/,
    ],
    [
      'a signature by the right key ID but another key',
      () => signedByB({ key: { ...generateSigningKey(), keyId: bKey.keyId } as SigningKey }),
      /Invalid signature/,
    ],
    ['an origin that cannot be reached for its key', () => signedByB({ origin: 'localhost:1' }), /No valid key/],
  ])('refuses %s with 401 M_UNAUTHORIZED', async (_what, header, message) => {
    const { status, body } = await toA(profilePath(), header());
    expect({ status, errcode: (body as { errcode: string }).errcode }).toEqual({
      status: 401,
      errcode: 'M_UNAUTHORIZED',
    });
    expect((body as { error: string }).error).toMatch(message);
  });

  describe('inbound transactions', () => {
    let roomId: string;
    let bob: { userId: string; token: string };
    let txn = 0;

    /** A PUT /send to A as B, with the PDUs given. */
    const send = (pdus: unknown[], txnId = `t${txn++}`, origin = b.name) => {
      const path = `/_matrix/federation/v1/send/${txnId}`;
      const body = { origin, origin_server_ts: Date.now(), pdus, edus: [] };
      const authorization = authorizationHeader(
        { method: 'PUT', uri: path, origin: b.name, destination: a.name, content: body as never },
        bKey,
      );
      return httpsJson({ host: '127.0.0.1', port: a.port, hostHeader: a.name, tlsName: 'localhost' }, 'PUT', path, {
        ca,
        timeoutMs: 10_000,
        headers: { authorization },
        body,
      });
    };
    /** An event by bob on top of the room as B sees it, signed by B. */
    const bobEvent = async (template: { type: string; stateKey?: string; content: Record<string, unknown> }) => {
      const head = (await loadRoomHead(b.app.get<Database>(DATABASE).prisma, roomId))!;
      return buildEvent(head, bob.userId, template as never, b.name, bKey);
    };
    const storedHere = async (eventId: string) =>
      a.app.get<Database>(DATABASE).prisma.event.findUnique({ where: { eventId } });

    beforeAll(async () => {
      const alice = await client(a, 'POST', '/_matrix/client/v3/login', {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'alice' },
        password: 'pw pw pw',
      });
      roomId = (
        await client(
          a,
          'POST',
          '/_matrix/client/v3/createRoom',
          { preset: 'public_chat' },
          alice.body.access_token as string,
        )
      ).body.room_id as string;
      const registered = await client(b, 'POST', '/_matrix/client/v3/register', {
        username: 'bob',
        password: 'pw pw pw',
        auth: { type: 'm.login.dummy' },
      });
      bob = { userId: registered.body.user_id as string, token: registered.body.access_token as string };
      const joined = await client(
        b,
        'POST',
        `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`,
        {},
        bob.token,
      );
      expect(joined.status).toBe(200);
    });

    it('accepts a properly signed event of a member, once however often the transaction is retried', async () => {
      const event = await bobEvent({ type: 'm.room.message', content: { msgtype: 'm.text', body: 'hi' } });
      const first = await send([event.pdu], 'replayed');
      const again = await send([event.pdu], 'replayed');
      expect(first).toMatchObject({ status: 200, body: { pdus: { [event.eventId]: {} } } });
      expect(again.body).toEqual(first.body);
      expect(await a.app.get<Database>(DATABASE).prisma.event.count({ where: { eventId: event.eventId } })).toBe(1);
    });

    it('refuses an event whose signature is forged, and stores nothing', async () => {
      const event = await bobEvent({ type: 'm.room.message', content: { msgtype: 'm.text', body: 'forged' } });
      const forged = {
        ...event.pdu,
        signatures: {
          [b.name]: {
            [bKey.keyId]: (event.pdu.signatures as Record<string, Record<string, string>>)[b.name][bKey.keyId].replace(
              /^./,
              (c) => (c === 'A' ? 'B' : 'A'),
            ),
          },
        },
      };
      const { body } = await send([forged]);
      expect(JSON.stringify(body)).toMatch(/signature/);
      expect(await storedHere(event.eventId)).toBeNull();
    });

    it('redacts an event whose content hash does not match, as the spec says', async () => {
      const event = await bobEvent({ type: 'm.room.message', content: { msgtype: 'm.text', body: 'original' } });
      const tampered = { ...event.pdu, content: { msgtype: 'm.text', body: 'tampered' } };
      const { body } = await send([tampered]);
      expect((body as { pdus: Record<string, object> }).pdus[event.eventId]).toEqual({});
      const json = await a.app
        .get<Database>(DATABASE)
        .prisma.eventJson.findFirst({ where: { eventNid: (await storedHere(event.eventId))!.eventNid } });
      expect(JSON.parse(json!.json).content).toEqual({});
    });

    it('rejects an event the auth rules reject: kept as rejected (server-server-api "Rejection"), out of the timeline, and answered as handled', async () => {
      const event = await bobEvent({
        type: 'm.room.power_levels',
        stateKey: '',
        content: { users: { [bob.userId]: 100 } },
      });
      const { body } = await send([event.pdu]);
      expect((body as { pdus: Record<string, object> }).pdus[event.eventId]).toEqual({});
      expect(await storedHere(event.eventId)).toMatchObject({ isRejected: true, streamPos: null });
    });

    it('refuses an event larger than the spec allows', async () => {
      const small = await bobEvent({ type: 'm.room.message', content: { body: 'small' } });
      const huge = { ...small.pdu, content: { body: 'x'.repeat(70_000) } };
      const { body } = await send([huge]);
      expect(JSON.stringify(body)).toMatch(/65536|too large|bytes/i);
    });

    it('refuses an event from a server with no member in the room, and a transaction signed for another destination', async () => {
      const outsider = `@outsider:${b.name}`;
      const head = (await loadRoomHead(b.app.get<Database>(DATABASE).prisma, roomId))!;
      const stranger = buildEvent(
        head,
        outsider,
        { type: 'm.room.message', content: { body: 'not a member' } } as never,
        b.name,
        bKey,
      );
      const { body } = await send([stranger.pdu]);
      expect((body as { pdus: Record<string, { error?: string }> }).pdus[stranger.eventId].error).toBeDefined();
      expect(await storedHere(stranger.eventId)).toBeNull();

      const event = await bobEvent({ type: 'm.room.message', content: { body: 'misdirected' } });
      const path = '/_matrix/federation/v1/send/misdirected';
      const transaction = { origin: b.name, origin_server_ts: Date.now(), pdus: [event.pdu], edus: [] };
      const authorization = authorizationHeader(
        { method: 'PUT', uri: path, origin: b.name, destination: 'elsewhere.example', content: transaction as never },
        bKey,
      );
      const misdirected = await httpsJson(
        { host: '127.0.0.1', port: a.port, hostHeader: a.name, tlsName: 'localhost' },
        'PUT',
        path,
        { ca, timeoutMs: 10_000, headers: { authorization }, body: transaction },
      );
      expect(misdirected).toMatchObject({ status: 401, body: { errcode: 'M_UNAUTHORIZED' } });
      expect(await storedHere(event.eventId)).toBeNull();
    });

    it('refuses a transaction of 51 PDUs, and one whose origin is not the signer', async () => {
      const event = await bobEvent({ type: 'm.room.message', content: { body: 'one of many' } });
      expect(await send(Array.from({ length: 51 }, () => event.pdu))).toMatchObject({
        status: 400,
        body: { errcode: 'M_BAD_JSON' },
      });
      expect(await send([event.pdu], 'spoofed', 'elsewhere.example')).toMatchObject({
        status: 400,
        body: { errcode: 'M_BAD_JSON' },
      });
      expect(await storedHere(event.eventId)).toBeNull();
    });

    /** A signed request from B to A. */
    const asB = (method: 'GET' | 'POST', path: string, body?: object) => {
      const authorization = authorizationHeader(
        { method, uri: path, origin: b.name, destination: a.name, ...(body ? { content: body as never } : {}) },
        bKey,
      );
      return httpsJson({ host: '127.0.0.1', port: a.port, hostHeader: a.name, tlsName: 'localhost' }, method, path, {
        ca,
        timeoutMs: 10_000,
        headers: { authorization },
        body,
      });
    };

    it('lets a server in the room read events, state and history', async () => {
      const room = encodeURIComponent(roomId);
      const latest = await bobEvent({ type: 'm.room.message', content: { body: 'latest' } });
      await send([latest.pdu]);
      const event = await asB('GET', `/_matrix/federation/v1/event/${encodeURIComponent(latest.eventId)}`);
      expect(event).toMatchObject({ status: 200, body: { pdus: [{ content: { body: 'latest' } }] } });
      const stateIds = await asB(
        'GET',
        `/_matrix/federation/v1/state_ids/${room}?event_id=${encodeURIComponent(latest.eventId)}`,
      );
      expect((stateIds.body as { pdu_ids: string[] }).pdu_ids.length).toBeGreaterThanOrEqual(5);
      const backfill = await asB(
        'GET',
        `/_matrix/federation/v1/backfill/${room}?v=${encodeURIComponent(latest.eventId)}&limit=3`,
      );
      const pdus = (backfill.body as { pdus: Array<{ content: { body?: string } }> }).pdus;
      expect(pdus).toHaveLength(3);
      expect(pdus[0].content.body).toBe('latest');
      const missing = await asB('POST', `/_matrix/federation/v1/get_missing_events/${room}`, {
        earliest_events: [],
        latest_events: [latest.eventId],
        limit: 2,
      });
      expect((missing.body as { events: unknown[] }).events).toHaveLength(2);
    });

    it('answers get_missing_events naming an event ID that holds U+0000 with M_BAD_JSON', async () => {
      const missing = await asB('POST', `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(roomId)}`, {
        earliest_events: [],
        latest_events: ['$a\u0000b'],
        limit: 2,
      });
      expect(missing).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    });

    it('finds the event closest to a timestamp, in either direction', async () => {
      const room = encodeURIComponent(roomId);
      const before = Date.now();
      const event = await bobEvent({ type: 'm.room.message', content: { body: 'timestamped' } });
      await send([event.pdu]);
      const forwards = await asB('GET', `/_matrix/federation/v1/timestamp_to_event/${room}?ts=${before}&dir=f`);
      expect(forwards).toMatchObject({ status: 200, body: { event_id: event.eventId } });
      const backwards = await asB(
        'GET',
        `/_matrix/federation/v1/timestamp_to_event/${room}?ts=${Date.now() + 60_000}&dir=b`,
      );
      expect(backwards).toMatchObject({ status: 200, body: { event_id: event.eventId } });
      expect(
        await asB('GET', `/_matrix/federation/v1/timestamp_to_event/${room}?ts=${Date.now() + 60_000}&dir=f`),
      ).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
    });

    it('refuses to show a room to a server with no member in it', async () => {
      const alice = await client(a, 'POST', '/_matrix/client/v3/login', {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'alice' },
        password: 'pw pw pw',
      });
      const created = await client(
        a,
        'POST',
        '/_matrix/client/v3/createRoom',
        { preset: 'private_chat' },
        alice.body.access_token as string,
      );
      const other = encodeURIComponent(created.body.room_id as string);
      const latestHere = (await a.app
        .get<Database>(DATABASE)
        .prisma.event.findFirst({ where: { streamPos: { not: null } }, orderBy: { streamPos: 'desc' } }))!.eventId;
      expect(
        await asB('GET', `/_matrix/federation/v1/state_ids/${other}?event_id=${encodeURIComponent(latestHere)}`),
      ).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
      expect(await asB('GET', `/_matrix/federation/v1/event/${encodeURIComponent(latestHere)}`)).toMatchObject({
        status: 403,
      });
    });

    // Last: it shuts B out of the room.
    it("ignores the events and refuses the requests of a server the room's ACL denies", async () => {
      const alice = await client(a, 'POST', '/_matrix/client/v3/login', {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'alice' },
        password: 'pw pw pw',
      });
      const room = encodeURIComponent(roomId);
      const acl = await client(
        a,
        'PUT',
        `/_matrix/client/v3/rooms/${room}/state/m.room.server_acl/`,
        { allow: ['*'], allow_ip_literals: false },
        alice.body.access_token as string,
      );
      expect(acl.status).toBe(200);
      const event = await bobEvent({ type: 'm.room.message', content: { body: 'after the ACL' } });
      const { body } = await send([event.pdu]);
      expect((body as { pdus: Record<string, { error?: string }> }).pdus[event.eventId].error).toMatch(/server ACL/);
      expect(await storedHere(event.eventId)).toBeNull();
      for (const [method, path] of [
        ['GET', `/_matrix/federation/v1/state_ids/${room}?event_id=${encodeURIComponent(acl.body.event_id as string)}`],
        ['GET', `/_matrix/federation/v1/make_join/${room}/${encodeURIComponent(bob.userId)}?ver=12`],
        ['GET', `/_matrix/federation/v1/backfill/${room}?v=${encodeURIComponent(acl.body.event_id as string)}&limit=1`],
      ] as const) {
        expect(await asB(method, path)).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
      }
    });
  });
});
