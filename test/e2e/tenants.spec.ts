import { request } from 'node:http';
import { authorizationHeader, type JsonObject } from '../../libs/protocol/src';
import { Keyring } from '../../libs/rooms/src/keyring';
import { startEmbeddedServer } from '../support/embedded-server';

/**
 * Two tenants of one deployment, told apart by the Host header: each has its
 * own users and private data, and a room shared by users of both works.
 * Between the two, a user of one sees no more than a user of another
 * homeserver would: nothing of the other's private rooms, account data,
 * sessions or configuration.
 */
describe('two tenants in one deployment', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let one: Tenant;
  let two: Tenant;
  let ann: string;
  let ben: string;

  beforeAll(async () => {
    server = await startEmbeddedServer({
      tenants: [
        {
          serverName: 'one.test',
          publicBaseUrl: 'https://matrix.one.test',
          federationHost: 'federation.one.test:443',
          hostnames: ['chat.one.test'],
          registration: { mode: 'token', tokens: ['one-secret'], guests: true },
        },
        { serverName: 'two.test', registration: { mode: 'open' }, media: { maxUploadBytes: 1000 } },
      ],
    });
    one = new Tenant(server.url, 'one.test');
    two = new Tenant(server.url, 'two.test');
    ann = await one.register('ann', { type: 'm.login.registration_token', token: 'one-secret' });
    ben = await two.register('ben', { type: 'm.login.dummy' });
  }, 60_000);
  afterAll(async () => server.close());

  /** Whether an answer says anything about tenant one's name, hosts or secrets. */
  const mentionsOne = (answer: unknown) => /one\.test|one-secret/.test(JSON.stringify(answer));

  it('registers each user under the tenant the request was addressed to', async () => {
    expect(await one.call(ann, 'GET', '/account/whoami')).toMatchObject({
      status: 200,
      body: { user_id: '@ann:one.test' },
    });
    expect(await two.call(ben, 'GET', '/account/whoami')).toMatchObject({
      status: 200,
      body: { user_id: '@ben:two.test' },
    });
  });

  it("reports each tenant's own media upload limit", async () => {
    expect((await two.request(ben, 'GET', '/_matrix/client/v1/media/config')).body).toEqual({ 'm.upload.size': 1000 });
    expect((await one.request(ann, 'GET', '/_matrix/client/v1/media/config')).body).toEqual({
      'm.upload.size': 50 * 1024 * 1024,
    });
  });

  it('keeps the same localpart free on each tenant', async () => {
    expect((await two.call(undefined, 'GET', '/register/available?username=ann')).body).toEqual({ available: true });
    expect((await one.call(undefined, 'GET', '/register/available?username=ann')).body).toMatchObject({
      errcode: 'M_USER_IN_USE',
    });
  });

  it('shares a room between users of both tenants', async () => {
    const { room_id: roomId } = (await one.call(ann, 'POST', '/createRoom', { invite: ['@ben:two.test'] })).body as {
      room_id: string;
    };
    expect((await two.call(ben, 'POST', `/join/${encodeURIComponent(roomId)}`, {})).status).toBe(200);
    const sent = (
      await two.call(ben, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, {
        msgtype: 'm.text',
        body: 'hello from two',
      })
    ).body as { event_id: string };
    const members = (await one.call(ann, 'GET', `/rooms/${encodeURIComponent(roomId)}/joined_members`)).body as {
      joined: Record<string, unknown>;
    };
    expect(Object.keys(members.joined).sort()).toEqual(['@ann:one.test', '@ben:two.test']);
    const event = (
      await one.call(ann, 'GET', `/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(sent.event_id)}`)
    ).body;
    expect(event).toMatchObject({ sender: '@ben:two.test', content: { body: 'hello from two' } });
  });

  describe('sessions', () => {
    it("does not accept one tenant's access token at the other", async () => {
      expect(await two.call(ann, 'GET', '/account/whoami')).toMatchObject({
        status: 401,
        body: { errcode: 'M_UNKNOWN_TOKEN' },
      });
    });

    it("does not accept one tenant's access token at the other as a query parameter", async () => {
      expect(await two.call(undefined, 'GET', `/account/whoami?access_token=${encodeURIComponent(ann)}`)).toMatchObject(
        { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } },
      );
    });

    it("does not accept a guest's access token of one tenant at the other", async () => {
      const { access_token: guest } = (await one.call(undefined, 'POST', '/register?kind=guest', {})).body as {
        access_token: string;
      };
      expect(await one.call(guest, 'GET', '/account/whoami')).toMatchObject({ status: 200 });
      expect(await two.call(guest, 'GET', '/account/whoami')).toMatchObject({
        status: 401,
        body: { errcode: 'M_UNKNOWN_TOKEN' },
      });
    });

    it('does not log a user of one tenant in at the other, even by full user ID', async () => {
      const login = await two.call(undefined, 'POST', '/login', {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: '@ann:one.test' },
        password: 'correct horse',
      });
      expect(login).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    });

    it("does not accept an OpenID token of one tenant's user at the other", async () => {
      const { access_token: token } = (await one.call(ann, 'POST', '/user/@ann:one.test/openid/request_token', {}))
        .body as { access_token: string };
      expect(
        await one.request(undefined, 'GET', `/_matrix/federation/v1/openid/userinfo?access_token=${token}`),
      ).toMatchObject({ status: 200, body: { sub: '@ann:one.test' } });
      expect(
        await two.request(undefined, 'GET', `/_matrix/federation/v1/openid/userinfo?access_token=${token}`),
      ).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });
    });
  });

  describe('a private room of one tenant', () => {
    let roomId: string;
    let eventId: string;
    const room = () => `/rooms/${encodeURIComponent(roomId)}`;

    beforeAll(async () => {
      roomId = (
        (await one.call(ann, 'POST', '/createRoom', { preset: 'private_chat', name: 'ann only' })).body as {
          room_id: string;
        }
      ).room_id;
      eventId = (
        (await one.call(ann, 'PUT', `${room()}/send/m.room.message/private1`, { msgtype: 'm.text', body: 'a secret' }))
          .body as { event_id: string }
      ).event_id;
    });

    it('does not show its messages to a user of the other tenant', async () => {
      expect(await two.call(ben, 'GET', `${room()}/messages?dir=b`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('does not show an event of it to a user of the other tenant', async () => {
      // The spec's answer for an event the user may not see is the one for an event that does not exist.
      expect(await two.call(ben, 'GET', `${room()}/event/${encodeURIComponent(eventId)}`)).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      });
    });

    it("does not show an event's context to a user of the other tenant", async () => {
      expect(await two.call(ben, 'GET', `${room()}/context/${encodeURIComponent(eventId)}`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('does not show its state to a user of the other tenant', async () => {
      expect(await two.call(ben, 'GET', `${room()}/state`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
      expect(await two.call(ben, 'GET', `${room()}/state/m.room.name`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('does not show its members to a user of the other tenant', async () => {
      expect(await two.call(ben, 'GET', `${room()}/members`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
      expect(await two.call(ben, 'GET', `${room()}/joined_members`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('does not show its aliases to a user of the other tenant', async () => {
      await one.call(ann, 'PUT', `/directory/room/${encodeURIComponent('#ann-private:one.test')}`, { room_id: roomId });
      expect(await two.call(ben, 'GET', `${room()}/aliases`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('does not show its place in the space hierarchy to a user of the other tenant', async () => {
      expect(await one.request(ann, 'GET', `/_matrix/client/v1${room()}/hierarchy`)).toMatchObject({ status: 200 });
      expect(await two.request(ben, 'GET', `/_matrix/client/v1${room()}/hierarchy`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('does not let a user of the other tenant join it uninvited', async () => {
      expect(await two.call(ben, 'POST', `/join/${encodeURIComponent(roomId)}`, {})).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('never reaches the /sync of a user of the other tenant', async () => {
      const { body } = await two.call(ben, 'GET', '/sync');
      expect(JSON.stringify(body)).not.toContain(roomId);
    });
  });

  describe('per-user data', () => {
    it('keeps account data private to its owner', async () => {
      await one.call(ann, 'PUT', '/user/@ann:one.test/account_data/org.example.secret', { v: 1 });
      expect(await two.call(ben, 'GET', '/user/@ann:one.test/account_data/org.example.secret')).toMatchObject({
        status: 403,
      });
    });

    it('keeps room account data and tags private to their owner', async () => {
      const roomId = ((await one.call(ann, 'POST', '/createRoom', {})).body as { room_id: string }).room_id;
      await one.call(ann, 'PUT', `/user/@ann:one.test/rooms/${encodeURIComponent(roomId)}/tags/u.work`, {});
      expect(await two.call(ben, 'GET', `/user/@ann:one.test/rooms/${encodeURIComponent(roomId)}/tags`)).toMatchObject({
        status: 403,
      });
      expect(
        await two.call(ben, 'GET', `/user/@ann:one.test/rooms/${encodeURIComponent(roomId)}/account_data/m.tag`),
      ).toMatchObject({ status: 403 });
    });

    it('keeps filters private to their owner', async () => {
      const { filter_id: filterId } = (
        await one.call(ann, 'POST', '/user/@ann:one.test/filter', { room: { timeline: { limit: 3 } } })
      ).body as { filter_id: string };
      expect(await two.call(ben, 'GET', `/user/@ann:one.test/filter/${filterId}`)).toMatchObject({ status: 403 });
    });

    it('does not show presence to a user of the other tenant who shares no room', async () => {
      const erin = await one.register('erin', { type: 'm.login.registration_token', token: 'one-secret' });
      await one.call(erin, 'PUT', '/presence/@erin:one.test/status', {
        presence: 'online',
        status_msg: 'in a private meeting',
      });
      expect(await two.call(ben, 'GET', '/presence/@erin:one.test/status')).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('does not tell a user of the other tenant who shares no room about device changes', async () => {
      const before = ((await two.call(ben, 'GET', '/sync')).body as { next_batch: string }).next_batch;
      const carl = await one.register('carl', { type: 'm.login.registration_token', token: 'one-secret' });
      await one.call(carl, 'POST', '/keys/upload', { device_keys: await deviceKeys(one, carl) });
      const after = ((await two.call(ben, 'GET', '/sync')).body as { next_batch: string }).next_batch;
      const changes = await two.call(ben, 'GET', `/keys/changes?from=${before}&to=${after}`);
      expect(changes.status).toBe(200);
      expect((changes.body as { changed?: string[] }).changed ?? []).not.toContain('@carl:one.test');
    });

    it('gives the device keys of a user of the other tenant who shares a room, as federation would', async () => {
      const dora = await one.register('dora', { type: 'm.login.registration_token', token: 'one-secret' });
      const keys = await deviceKeys(one, dora);
      await one.call(dora, 'POST', '/keys/upload', { device_keys: keys });
      const { room_id: roomId } = (await one.call(dora, 'POST', '/createRoom', { invite: ['@ben:two.test'] })).body as {
        room_id: string;
      };
      await two.call(ben, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
      const answer = await two.call(ben, 'POST', '/keys/query', { device_keys: { '@dora:one.test': [] } });
      expect(answer).toMatchObject({
        status: 200,
        body: { device_keys: { '@dora:one.test': { [keys.device_id]: { keys: keys.keys } } } },
      });
    });

    it("answers the media configuration only with the tenant's own tokens", async () => {
      expect(await one.request(ann, 'GET', '/_matrix/client/v1/media/config')).toMatchObject({ status: 200 });
      expect(await two.request(ann, 'GET', '/_matrix/client/v1/media/config')).toMatchObject({
        status: 401,
        body: { errcode: 'M_UNKNOWN_TOKEN' },
      });
    });
  });

  describe('room directory', () => {
    it("lists in each tenant's room directory only the rooms published there", async () => {
      const { room_id: published } = (
        await one.call(ann, 'POST', '/createRoom', { preset: 'public_chat', visibility: 'public', name: 'one lobby' })
      ).body as { room_id: string };
      const listed = async (tenant: Tenant) =>
        ((await tenant.call(undefined, 'GET', '/publicRooms')).body as { chunk: Array<{ room_id: string }> }).chunk.map(
          (r) => r.room_id,
        );
      expect(await listed(one)).toContain(published);
      expect(await listed(two)).not.toContain(published);
    });
  });

  /**
   * Tenant one's server asking tenant two's federation API, as any other
   * server could: two answers about its own users and aliases only.
   */
  describe('federation API', () => {
    const fromOne = async (method: 'GET' | 'POST', path: string, body?: JsonObject) => {
      const key = await server.app.get(Keyring).signingKey('one.test');
      const authorization = authorizationHeader(
        {
          method,
          uri: path,
          origin: 'one.test',
          destination: 'two.test',
          ...(body === undefined ? {} : { content: body }),
        },
        key,
      );
      return two.signedRequest(authorization, method, path, body);
    };

    it('answers profile queries about its own users only', async () => {
      expect(await fromOne('GET', '/_matrix/federation/v1/query/profile?user_id=%40ben%3Atwo.test')).toMatchObject({
        status: 200,
      });
      expect(await fromOne('GET', '/_matrix/federation/v1/query/profile?user_id=%40ann%3Aone.test')).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
    });

    it('answers device list queries about its own users only', async () => {
      expect(await fromOne('GET', '/_matrix/federation/v1/user/devices/%40ben%3Atwo.test')).toMatchObject({
        status: 200,
        body: { user_id: '@ben:two.test' },
      });
      expect(await fromOne('GET', '/_matrix/federation/v1/user/devices/%40ann%3Aone.test')).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
    });

    it('answers key queries about its own users only', async () => {
      const answer = await fromOne('POST', '/_matrix/federation/v1/user/keys/query', {
        device_keys: { '@ann:one.test': [], '@ben:two.test': [] },
      });
      expect(answer.status).toBe(200);
      expect(Object.keys((answer.body as { device_keys: object }).device_keys)).toEqual(['@ben:two.test']);
    });

    it('answers alias queries about its own aliases only', async () => {
      await one.call(ann, 'PUT', `/directory/room/${encodeURIComponent('#lobby:one.test')}`, {
        room_id: ((await one.call(ann, 'POST', '/createRoom', {})).body as { room_id: string }).room_id,
      });
      expect(
        await fromOne(
          'GET',
          `/_matrix/federation/v1/query/directory?room_alias=${encodeURIComponent('#lobby:one.test')}`,
        ),
      ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    });
  });

  describe('configuration', () => {
    it("answers /.well-known/matrix/client with each tenant's own base URL", async () => {
      expect((await one.request(undefined, 'GET', '/.well-known/matrix/client')).body).toEqual({
        'm.homeserver': { base_url: 'https://matrix.one.test' },
      });
      expect((await two.request(undefined, 'GET', '/.well-known/matrix/client')).body).toEqual({
        'm.homeserver': { base_url: 'https://two.test' },
      });
    });

    it('answers /.well-known/matrix/server only for the tenant that delegates', async () => {
      expect((await one.request(undefined, 'GET', '/.well-known/matrix/server')).body).toEqual({
        'm.server': 'federation.one.test:443',
      });
      const answer = await two.request(undefined, 'GET', '/.well-known/matrix/server');
      expect(answer).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
      expect(mentionsOne(answer.body)).toBe(false);
    });

    it("serves each tenant's own signing keys", async () => {
      expect((await one.request(undefined, 'GET', '/_matrix/key/v2/server')).body).toMatchObject({
        server_name: 'one.test',
      });
      const answer = await two.request(undefined, 'GET', '/_matrix/key/v2/server');
      expect(answer.body).toMatchObject({ server_name: 'two.test' });
      expect(mentionsOne(answer.body)).toBe(false);
    });

    it('says nothing of the other tenant in /versions', async () => {
      const answer = await two.request(undefined, 'GET', '/_matrix/client/versions');
      expect(answer.status).toBe(200);
      expect(mentionsOne(answer.body)).toBe(false);
    });

    it('says nothing of the other tenant in /capabilities', async () => {
      const answer = await two.call(ben, 'GET', '/capabilities');
      expect(answer.status).toBe(200);
      expect(mentionsOne(answer.body)).toBe(false);
    });

    it('says nothing of the other tenant in the login flows', async () => {
      expect((await two.call(undefined, 'GET', '/login')).body).toEqual({
        flows: [
          { type: 'm.login.password' },
          { type: 'm.login.token', get_login_token: true },
          { type: 'm.login.application_service' },
        ],
      });
    });

    it("offers each tenant's own registration flow", async () => {
      expect((await one.call(undefined, 'POST', '/register', {})).body).toMatchObject({
        flows: [{ stages: ['m.login.registration_token'] }],
      });
      expect((await two.call(undefined, 'POST', '/register', {})).body).toMatchObject({
        flows: [{ stages: ['m.login.dummy'] }],
      });
    });

    it('registers guests only at the tenant that allows them', async () => {
      expect(await one.call(undefined, 'POST', '/register?kind=guest', {})).toMatchObject({ status: 200 });
      expect(await two.call(undefined, 'POST', '/register?kind=guest', {})).toMatchObject({
        status: 403,
        body: { errcode: 'M_GUEST_ACCESS_FORBIDDEN' },
      });
    });

    it("does not accept one tenant's registration token at the other", async () => {
      expect(
        await two.call(undefined, 'GET', '/register/m.login.registration_token/validity?token=one-secret'),
      ).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    });

    it('names no tenant to a request for a host it does not serve', async () => {
      const answer = await new Tenant(server.url, 'elsewhere.test').call(undefined, 'GET', '/login');
      expect(answer).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
      expect(JSON.stringify(answer.body)).not.toMatch(/one\.test|two\.test/);
    });

    it("answers the health probes whatever the Host, as the kubelet sends the pod's IP", async () => {
      const probe = new Tenant(server.url, '10.1.2.3:8008');
      expect(await probe.request(undefined, 'GET', '/health/live')).toMatchObject({
        status: 200,
        body: { status: 'ok' },
      });
      expect(await probe.request(undefined, 'GET', '/health/ready')).toMatchObject({
        status: 200,
        body: { status: 'ok' },
      });
    });

    it('says nothing of the other tenant in its error messages', async () => {
      const answers = await Promise.all([
        two.call(ann, 'GET', '/account/whoami'),
        two.call(undefined, 'POST', '/login', {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: '@ann:one.test' },
          password: 'wrong',
        }),
        two.call(ben, 'GET', '/user/@ann:one.test/account_data/org.example.secret'),
        two.call(undefined, 'GET', '/register/m.login.registration_token/validity?token=one-secret'),
        two.call(ben, 'GET', '/no_such_endpoint'),
      ]);
      expect(answers.filter((a) => mentionsOne((a.body as { error?: string }).error))).toEqual([]);
    });
  });
});

/** Signed-looking device keys for the device of `token` (their signatures are not checked on upload). */
async function deviceKeys(
  tenant: Tenant,
  token: string,
): Promise<{
  user_id: string;
  device_id: string;
  algorithms: string[];
  keys: Record<string, string>;
  signatures: object;
}> {
  const { user_id: userId, device_id: deviceId } = (await tenant.call(token, 'GET', '/account/whoami')).body as {
    user_id: string;
    device_id: string;
  };
  return {
    user_id: userId,
    device_id: deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2'],
    keys: { [`curve25519:${deviceId}`]: 'curve', [`ed25519:${deviceId}`]: 'ed' },
    signatures: { [userId]: { [`ed25519:${deviceId}`]: 'sig' } },
  };
}

/** Requests addressed to one tenant by Host header, as DNS would route them. */
class Tenant {
  constructor(
    private readonly url: string,
    private readonly host: string,
  ) {}

  async register(username: string, auth: object): Promise<string> {
    const { body } = await this.call(undefined, 'POST', '/register', { username, password: 'correct horse', auth });
    return (body as { access_token: string }).access_token;
  }

  /** A client-server v3 request. */
  call(
    token: string | undefined,
    method: string,
    path: string,
    body?: object,
  ): Promise<{ status: number; body: unknown }> {
    return this.request(token, method, `/_matrix/client/v3${path}`, body);
  }

  request(
    token: string | undefined,
    method: string,
    path: string,
    body?: object,
  ): Promise<{ status: number; body: unknown }> {
    return this.signedRequest(token ? `Bearer ${token}` : undefined, method, path, body);
  }

  /** A request with this Authorization header (X-Matrix for federation). */
  signedRequest(
    authorization: string | undefined,
    method: string,
    path: string,
    body?: object,
  ): Promise<{ status: number; body: unknown }> {
    const target = new URL(`${this.url}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        target,
        {
          method,
          headers: {
            host: this.host,
            ...(authorization ? { authorization } : {}),
            ...(payload ? { 'content-type': 'application/json' } : {}),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}
