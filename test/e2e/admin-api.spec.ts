import { HostClient } from '../support/host-client';
import { startEmbeddedServer } from '../support/embedded-server';

const SECRET = 'shared-secret-for-tests';
const OPERATOR = 'operator-token-for-tests-0123456789';

/**
 * The admin API as Synapse's admin tools and Complement use it: shared-secret
 * registration, users, rooms, registration tokens, server notices, and
 * tenants changed at run time, against the single-process server.
 */
describe('admin API', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let hs: HostClient;
  let admin: { userId: string; token: string };
  let alice: { userId: string; token: string };

  beforeAll(async () => {
    server = await startEmbeddedServer({
      // Two tenants: with one, every Host would fall back to it and no unknown host could be told apart.
      tenants: [
        { serverName: 'admin.test', registration: { mode: 'token', tokens: ['from-config'] } },
        { serverName: 'other.test' },
      ],
      admin: { registrationSharedSecret: SECRET, operatorToken: OPERATOR, tenantPollMs: 60_000 },
    });
    hs = new HostClient(server.url, 'admin.test');
    admin = await hs.registerWithSecret(SECRET, 'root', { admin: true });
    alice = await hs.registerWithSecret(SECRET, 'alice');
  }, 60_000);
  afterAll(async () => server.close());

  const asAdmin = (method: string, path: string, body?: unknown) => hs.request(admin.token, method, path, body);

  describe('shared-secret registration', () => {
    it('registers a user whose token works', async () => {
      expect(await hs.client(alice.token, 'GET', '/account/whoami')).toMatchObject({
        status: 200,
        body: { user_id: '@alice:admin.test' },
      });
    });

    it('refuses a wrong MAC and creates nobody', async () => {
      const { body } = await hs.request(undefined, 'GET', '/_synapse/admin/v1/register');
      const answer = await hs.request(undefined, 'POST', '/_synapse/admin/v1/register', {
        nonce: body.nonce,
        username: 'mallory',
        password: 'pw',
        admin: true,
        mac: '00'.repeat(20),
      });
      expect(answer).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
      expect((await asAdmin('GET', '/_synapse/admin/v2/users/@mallory:admin.test')).status).toBe(404);
    });

    it('refuses a nonce it did not issue', async () => {
      const answer = await hs.request(undefined, 'POST', '/_synapse/admin/v1/register', {
        nonce: 'made.up.nonce',
        username: 'x',
        password: 'pw',
        mac: 'ab',
      });
      expect(answer).toMatchObject({ status: 400, body: { errcode: 'M_UNKNOWN' } });
    });
  });

  describe('access', () => {
    it('refuses a user who is not an admin', async () => {
      expect(await hs.request(alice.token, 'GET', '/_synapse/admin/v2/users')).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('refuses a request without a token', async () => {
      expect(await hs.request(undefined, 'GET', '/_synapse/admin/v2/users')).toMatchObject({
        status: 401,
        body: { errcode: 'M_MISSING_TOKEN' },
      });
    });

    it('answers the server version without a token, as synapse-admin expects', async () => {
      expect((await hs.request(undefined, 'GET', '/_synapse/admin/v1/server_version')).body).toMatchObject({
        server_version: expect.stringContaining('Lattice'),
      });
    });
  });

  describe('users', () => {
    it("lists users with Synapse's fields and pages them", async () => {
      const first = await asAdmin('GET', '/_synapse/admin/v2/users?limit=1');
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ total: expect.any(Number), next_token: '1' });
      expect((first.body.users as unknown[])[0]).toEqual(
        expect.objectContaining({
          name: '@alice:admin.test',
          admin: false,
          deactivated: false,
          is_guest: false,
          creation_ts: expect.any(Number),
        }),
      );
    });

    it('creates a user with PUT (201), then changes them (200)', async () => {
      const created = await asAdmin('PUT', '/_synapse/admin/v2/users/@bob:admin.test', {
        password: 'bob-pass',
        displayname: 'Bob',
      });
      expect(created).toMatchObject({
        status: 201,
        body: { name: '@bob:admin.test', displayname: 'Bob', admin: false },
      });
      const changed = await asAdmin('PUT', '/_synapse/admin/v2/users/@bob:admin.test', { admin: true });
      expect(changed).toMatchObject({ status: 200, body: { displayname: 'Bob', admin: true } });
      expect((await hs.login('bob', 'bob-pass')).status).toBe(200);
    });

    it('refuses users of another server', async () => {
      expect(await asAdmin('GET', '/_synapse/admin/v2/users/@someone:elsewhere.test')).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
    });

    it("resets a password and logs the user's devices out", async () => {
      const carol = await hs.registerWithSecret(SECRET, 'carol', { password: 'old-pass' });
      expect(
        (await asAdmin('POST', '/_synapse/admin/v1/reset_password/@carol:admin.test', { new_password: 'new-pass' }))
          .status,
      ).toBe(200);
      expect((await hs.client(carol.token, 'GET', '/account/whoami')).status).toBe(401);
      expect((await hs.login('carol', 'old-pass')).status).toBe(403);
      expect((await hs.login('carol', 'new-pass')).status).toBe(200);
    });

    it("shows a user's sessions in whois, in both the admin API and the client-server API", async () => {
      const synapse = await asAdmin('GET', `/_synapse/admin/v1/whois/${alice.userId}`);
      expect(synapse).toMatchObject({ status: 200, body: { user_id: alice.userId, devices: expect.any(Object) } });
      expect(Object.values(synapse.body.devices as Record<string, unknown>)[0]).toEqual({
        sessions: [{ connections: expect.any(Array) }],
      });
      expect((await hs.client(alice.token, 'GET', `/admin/whois/${admin.userId}`)).status).toBe(403);
      expect((await hs.client(admin.token, 'GET', `/admin/whois/${alice.userId}`)).body).toEqual(synapse.body);
    });

    it('deactivates a user: no login, out of their rooms', async () => {
      const dave = await hs.registerWithSecret(SECRET, 'dave');
      const { body } = await hs.client(dave.token, 'POST', '/createRoom', {});
      expect((await asAdmin('POST', '/_synapse/admin/v1/deactivate/@dave:admin.test', {})).body).toEqual({
        id_server_unbind_result: 'success',
      });
      expect((await hs.login('dave', 'correct horse')).status).toBe(403);
      expect(
        (await asAdmin('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(body.room_id as string)}/members`)).body,
      ).toMatchObject({ members: [] });
      expect((await asAdmin('GET', '/_synapse/admin/v2/users/@dave:admin.test')).body).toMatchObject({
        deactivated: true,
      });
    });
  });

  describe('rooms', () => {
    let roomId: string;

    beforeAll(async () => {
      roomId = (await hs.client(alice.token, 'POST', '/createRoom', { name: 'Ops room', preset: 'public_chat' })).body
        .room_id as string;
    });

    it("lists the tenant's rooms with their details", async () => {
      const { body } = await asAdmin('GET', '/_synapse/admin/v1/rooms?search_term=ops');
      expect(body).toMatchObject({ total_rooms: 1, offset: 0 });
      expect((body.rooms as unknown[])[0]).toMatchObject({
        room_id: roomId,
        name: 'Ops room',
        joined_members: 1,
        joined_local_members: 1,
        creator: alice.userId,
        join_rules: 'public',
      });
    });

    it('shows one room, its members and its state', async () => {
      const path = `/_synapse/admin/v1/rooms/${encodeURIComponent(roomId)}`;
      expect((await asAdmin('GET', path)).body).toMatchObject({ room_id: roomId, name: 'Ops room', topic: null });
      expect((await asAdmin('GET', `${path}/members`)).body).toEqual({ members: [alice.userId], total: 1 });
      const state = (await asAdmin('GET', `${path}/state`)).body.state as Array<{ type: string }>;
      expect(state.map((e) => e.type)).toEqual(
        expect.arrayContaining(['m.room.create', 'm.room.name', 'm.room.member']),
      );
    });

    it('blocks a room: nobody here may join it', async () => {
      const blocked = (await hs.client(alice.token, 'POST', '/createRoom', { preset: 'public_chat' })).body
        .room_id as string;
      expect(
        (await asAdmin('PUT', `/_synapse/admin/v1/rooms/${encodeURIComponent(blocked)}/block`, { block: true })).body,
      ).toEqual({ block: true });
      expect((await asAdmin('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(blocked)}/block`)).body).toEqual({
        block: true,
        user_id: admin.userId,
      });
      expect(await hs.client(admin.token, 'POST', `/join/${encodeURIComponent(blocked)}`, {})).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('deletes and purges a room: its users leave, then it is gone', async () => {
      const doomed = (await hs.client(alice.token, 'POST', '/createRoom', { name: 'Doomed' })).body.room_id as string;
      await hs.client(alice.token, 'PUT', `/rooms/${encodeURIComponent(doomed)}/send/m.room.message/t1`, {
        msgtype: 'm.text',
        body: 'bye',
      });
      const { body } = await asAdmin('DELETE', `/_synapse/admin/v2/rooms/${encodeURIComponent(doomed)}`, {
        block: true,
        purge: true,
      });
      const status = await waitFor(async () => {
        const answer = await asAdmin('GET', `/_synapse/admin/v2/rooms/delete_status/${body.delete_id as string}`);
        return answer.body.status === 'complete' || answer.body.status === 'failed' ? answer.body : undefined;
      });
      expect(status).toMatchObject({
        status: 'complete',
        shutdown_room: { kicked_users: [alice.userId], failed_to_kick_users: [] },
      });
      expect((await asAdmin('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(doomed)}`)).status).toBe(404);
      expect((await hs.client(alice.token, 'GET', `/rooms/${encodeURIComponent(doomed)}/messages?dir=b`)).status).toBe(
        403,
      );
    });
  });

  describe('event reports', () => {
    let roomId: string;
    let eventId: string;
    let firstId: number;

    beforeAll(async () => {
      roomId = (await hs.client(alice.token, 'POST', '/createRoom', { name: 'Reported room' })).body.room_id as string;
      eventId = (
        await hs.client(alice.token, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/r1`, {
          msgtype: 'm.text',
          body: 'offending',
        })
      ).body.event_id as string;
      const room = encodeURIComponent(roomId);
      await hs.client(alice.token, 'POST', `/rooms/${room}/report/${encodeURIComponent(eventId)}`, { reason: 'first' });
      await hs.client(alice.token, 'POST', `/rooms/${room}/report/${encodeURIComponent(eventId)}`, {
        reason: 'second',
      });
      // A report of a room, not an event: not in this list.
      await hs.client(alice.token, 'POST', `/rooms/${room}/report`, { reason: 'the room' });
    });

    it('lists the reports of events newest first, with the room and the event sender', async () => {
      const { body } = await asAdmin('GET', '/_synapse/admin/v1/event_reports');
      expect(body.total).toBe(2);
      const reports = body.event_reports as Array<Record<string, unknown>>;
      expect(reports.map((r) => r.reason)).toEqual(['second', 'first']);
      expect(reports[1]).toMatchObject({
        room_id: roomId,
        name: 'Reported room',
        event_id: eventId,
        user_id: alice.userId,
        sender: alice.userId,
        score: null,
      });
      firstId = reports[1].id as number;
    });

    it('pages and filters as Synapse does', async () => {
      const page = (await asAdmin('GET', '/_synapse/admin/v1/event_reports?limit=1&dir=f')).body;
      expect(page).toMatchObject({ total: 2, next_token: '1' });
      expect((page.event_reports as Array<{ reason: string }>).map((r) => r.reason)).toEqual(['first']);
      const none = await asAdmin('GET', `/_synapse/admin/v1/event_reports?user_id=${encodeURIComponent(admin.userId)}`);
      expect(none.body).toMatchObject({ event_reports: [], total: 0 });
    });

    it('shows one report with the reported event, and deletes it', async () => {
      const path = `/_synapse/admin/v1/event_reports/${firstId}`;
      const { body } = await asAdmin('GET', path);
      expect(body).toMatchObject({
        id: firstId,
        reason: 'first',
        event_json: { type: 'm.room.message', room_id: roomId, content: { body: 'offending' } },
      });
      expect((await asAdmin('DELETE', path)).body).toEqual({});
      expect(await asAdmin('GET', path)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
      expect((await asAdmin('GET', '/_synapse/admin/v1/event_reports')).body.total).toBe(1);
    });

    it('refuses a non-admin, and a report ID that is not a number', async () => {
      expect(await hs.request(alice.token, 'GET', '/_synapse/admin/v1/event_reports')).toMatchObject({ status: 403 });
      expect(await asAdmin('GET', '/_synapse/admin/v1/event_reports/abc')).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
    });
  });

  describe('user reports', () => {
    let reportId: number;

    beforeAll(async () => {
      await hs.client(alice.token, 'POST', `/users/${encodeURIComponent(admin.userId)}/report`, { reason: 'spam' });
      await hs.client(admin.token, 'POST', `/users/${encodeURIComponent(alice.userId)}/report`, { reason: 'rude' });
      const roomId = (await hs.client(alice.token, 'POST', '/createRoom', {})).body.room_id as string;
      await hs.client(alice.token, 'POST', `/rooms/${encodeURIComponent(roomId)}/report`, { reason: 'a room' });
    });

    it('lists the reports of users newest first, and no other reports', async () => {
      const { body } = await asAdmin('GET', '/_synapse/admin/v1/user_reports');
      expect(body).toMatchObject({ total: 2 });
      const reports = body.user_reports as Array<Record<string, unknown>>;
      expect(reports.map((r) => [r.user_id, r.target_user_id, r.reason])).toEqual([
        [admin.userId, alice.userId, 'rude'],
        [alice.userId, admin.userId, 'spam'],
      ]);
      expect(reports[0]!.received_ts).toEqual(expect.any(Number));
      reportId = reports[1]!.id as number;
    });

    it('filters by reporter and by reported user, in pages', async () => {
      const byTarget = await asAdmin(
        'GET',
        `/_synapse/admin/v1/user_reports?target_user_id=${encodeURIComponent(admin.userId)}`,
      );
      expect((byTarget.body.user_reports as Array<{ reason: string }>).map((r) => r.reason)).toEqual(['spam']);
      const byReporter = await asAdmin(
        'GET',
        `/_synapse/admin/v1/user_reports?user_id=${encodeURIComponent(admin.userId)}`,
      );
      expect((byReporter.body.user_reports as Array<{ reason: string }>).map((r) => r.reason)).toEqual(['rude']);
      const page = (await asAdmin('GET', '/_synapse/admin/v1/user_reports?limit=1&dir=f')).body;
      expect(page).toMatchObject({ total: 2, next_token: '1' });
    });

    it('shows one report and deletes it', async () => {
      const path = `/_synapse/admin/v1/user_reports/${reportId}`;
      expect((await asAdmin('GET', path)).body).toMatchObject({ id: reportId, reason: 'spam', user_id: alice.userId });
      expect((await asAdmin('DELETE', path)).body).toEqual({});
      expect(await asAdmin('GET', path)).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } });
      expect(await hs.request(alice.token, 'GET', '/_synapse/admin/v1/user_reports')).toMatchObject({ status: 403 });
    });
  });

  describe('media', () => {
    const upload = async (token: string, name: string) =>
      (await hs.request(token, 'POST', `/_matrix/media/v3/upload?filename=${name}`, { file: name })).body
        .content_uri as string;
    const idOf = (mxc: string) => mxc.split('/').pop()!;
    const download = (token: string, mxc: string) =>
      hs.request(token, 'GET', `/_matrix/client/v1/media/download/admin.test/${idOf(mxc)}`);
    let first: string;
    let second: string;

    beforeAll(async () => {
      first = await upload(alice.token, 'first.json');
      second = await upload(alice.token, 'second.json');
    });

    it("lists a user's uploads as Synapse does, in pages", async () => {
      const path = `/_synapse/admin/v1/users/${encodeURIComponent(alice.userId)}/media`;
      const { body } = await asAdmin('GET', `${path}?limit=1`);
      expect(body).toMatchObject({ total: 2, next_token: '1' });
      expect((body.media as unknown[])[0]).toMatchObject({
        media_id: idOf(first),
        media_type: 'application/json',
        upload_name: 'first.json',
        quarantined_by: null,
        safe_from_quarantine: false,
      });
      const newestFirst = (await asAdmin('GET', `${path}?dir=b`)).body.media as Array<{ media_id: string }>;
      expect(newestFirst.map((m) => m.media_id)).toEqual([idOf(second), idOf(first)]);
    });

    it('quarantines one piece of media: it is served no more, and the list names who quarantined it', async () => {
      expect((await asAdmin('POST', `/_synapse/admin/v1/media/quarantine/admin.test/${idOf(first)}`, {})).body).toEqual(
        {},
      );
      expect((await download(alice.token, first)).status).toBe(404);
      expect(
        (await asAdmin('GET', `/_synapse/admin/v1/media/admin.test/${idOf(first)}`)).body.media_info,
      ).toMatchObject({
        quarantined_by: admin.userId,
      });
      await asAdmin('POST', `/_synapse/admin/v1/media/unquarantine/admin.test/${idOf(first)}`, {});
      expect((await download(alice.token, first)).status).toBe(200);
    });

    it("lists and quarantines the media a room's events name", async () => {
      const roomId = (await hs.client(alice.token, 'POST', '/createRoom', {})).body.room_id as string;
      await hs.client(alice.token, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/m1`, {
        msgtype: 'm.image',
        body: 'first.json',
        url: first,
      });
      const room = `/_synapse/admin/v1/room/${encodeURIComponent(roomId)}/media`;
      expect((await asAdmin('GET', room)).body).toEqual({ local: [first], remote: [] });
      expect((await asAdmin('POST', `${room}/quarantine`, {})).body).toEqual({ num_quarantined: 1 });
      expect((await download(alice.token, first)).status).toBe(404);
      expect((await download(alice.token, second)).status).toBe(200);
    });

    it("quarantines, then deletes, all of a user's uploads", async () => {
      const user = encodeURIComponent(alice.userId);
      expect((await asAdmin('POST', `/_synapse/admin/v1/user/${user}/media/quarantine`, {})).body).toEqual({
        num_quarantined: 1,
      });
      expect((await download(alice.token, second)).status).toBe(404);
      const { body } = await asAdmin('DELETE', `/_synapse/admin/v1/users/${user}/media`);
      expect({ ...body, deleted_media: (body.deleted_media as string[]).sort() }).toEqual({
        deleted_media: [idOf(first), idOf(second)].sort(),
        total: 2,
      });
      expect((await asAdmin('GET', `/_synapse/admin/v1/users/${user}/media`)).body).toMatchObject({
        media: [],
        total: 0,
      });
    });

    it('deletes one piece of media, and knows nothing of media it does not have', async () => {
      const third = await upload(alice.token, 'third.json');
      expect((await asAdmin('DELETE', `/_synapse/admin/v1/media/admin.test/${idOf(third)}`)).body).toEqual({
        deleted_media: [idOf(third)],
        total: 1,
      });
      expect(await asAdmin('DELETE', `/_synapse/admin/v1/media/admin.test/${idOf(third)}`)).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      });
    });

    it('shows the last download as last_access_ts, the upload time before any', async () => {
      const fourth = await upload(alice.token, 'fourth.json');
      const info = async () =>
        (await asAdmin('GET', `/_synapse/admin/v1/media/admin.test/${idOf(fourth)}`)).body.media_info as {
          created_ts: number;
          last_access_ts: number;
        };
      const uploaded = await info();
      expect(uploaded.last_access_ts).toBeGreaterThanOrEqual(uploaded.created_ts);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const before = Date.now();
      expect((await download(alice.token, fourth)).status).toBe(200);
      expect((await info()).last_access_ts).toBeGreaterThanOrEqual(before);
    });

    it('protects media from bulk quarantine until unprotected', async () => {
      const kept = await upload(alice.token, 'kept.json');
      expect((await asAdmin('POST', `/_synapse/admin/v1/media/protect/${idOf(kept)}`, {})).body).toEqual({});
      expect((await asAdmin('GET', `/_synapse/admin/v1/media/admin.test/${idOf(kept)}`)).body.media_info).toMatchObject(
        { safe_from_quarantine: true },
      );
      const user = encodeURIComponent(alice.userId);
      await asAdmin('POST', `/_synapse/admin/v1/user/${user}/media/quarantine`, {});
      expect((await download(alice.token, kept)).status).toBe(200);
      await asAdmin('POST', `/_synapse/admin/v1/media/unprotect/${idOf(kept)}`, {});
      expect((await asAdmin('POST', `/_synapse/admin/v1/user/${user}/media/quarantine`, {})).body).toEqual({
        num_quarantined: 1,
      });
      expect((await download(alice.token, kept)).status).toBe(404);
      expect(await asAdmin('POST', '/_synapse/admin/v1/media/protect/nosuchmedia', {})).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      });
    });

    it('deletes local media not downloaded since a date, except protected media and avatars', async () => {
      const [used, unused, protectedOne, avatar] = [
        await upload(alice.token, 'used.json'),
        await upload(alice.token, 'unused.json'),
        await upload(alice.token, 'protected.json'),
        await upload(alice.token, 'avatar.json'),
      ];
      await asAdmin('POST', `/_synapse/admin/v1/media/protect/${idOf(protectedOne)}`, {});
      await hs.client(alice.token, 'PUT', `/profile/${encodeURIComponent(alice.userId)}/avatar_url`, {
        avatar_url: avatar,
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const beforeTs = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await download(alice.token, used)).status).toBe(200);

      const deleted = await asAdmin('POST', `/_synapse/admin/v1/media/delete?before_ts=${beforeTs}`, {});
      expect(deleted.body).toEqual({ deleted_media: [idOf(unused)], total: 1 });
      expect((await download(alice.token, unused)).status).toBe(404);
      // Looked at through the admin API: a download would count as an access.
      for (const kept of [used, protectedOne, avatar])
        expect((await asAdmin('GET', `/_synapse/admin/v1/media/admin.test/${idOf(kept)}`)).status).toBe(200);

      const withAvatars = await asAdmin(
        'POST',
        `/_synapse/admin/v1/media/admin.test/delete?before_ts=${beforeTs}&keep_profiles=false`,
        {},
      );
      expect(withAvatars.body).toEqual({ deleted_media: [idOf(avatar)], total: 1 });
    });

    it('refuses deletion by date without a millisecond before_ts, or for another server', async () => {
      expect(await asAdmin('POST', '/_synapse/admin/v1/media/delete', {})).toMatchObject({
        status: 400,
        body: { errcode: 'M_MISSING_PARAM' },
      });
      expect(
        await asAdmin('POST', `/_synapse/admin/v1/media/delete?before_ts=${Math.floor(Date.now() / 1000)}`, {}),
      ).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
      expect(
        await asAdmin('POST', `/_synapse/admin/v1/media/other.test/delete?before_ts=${Date.now()}`, {}),
      ).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
    });

    it('refuses a non-admin', async () => {
      expect(
        await hs.request(alice.token, 'GET', `/_synapse/admin/v1/users/${encodeURIComponent(alice.userId)}/media`),
      ).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    });
  });

  describe('registration tokens', () => {
    it("keeps the configuration file's token, good for any number of uses", async () => {
      expect((await asAdmin('GET', '/_synapse/admin/v1/registration_tokens/from-config')).body).toEqual({
        token: 'from-config',
        uses_allowed: null,
        pending: 0,
        completed: 0,
        expiry_time: null,
      });
    });

    it('creates a one-use token that registers exactly one user', async () => {
      const { body } = await asAdmin('POST', '/_synapse/admin/v1/registration_tokens/new', { uses_allowed: 1 });
      const token = body.token as string;
      expect(token).toMatch(/^[A-Za-z0-9._~-]{16}$/);
      const register = (username: string) =>
        hs.client(undefined, 'POST', '/register', {
          username,
          password: 'pw',
          auth: { type: 'm.login.registration_token', token },
        });
      expect((await register('erin')).status).toBe(200);
      expect((await register('frank')).status).toBe(401);
      expect((await asAdmin('GET', `/_synapse/admin/v1/registration_tokens/${token}`)).body).toMatchObject({
        completed: 1,
        uses_allowed: 1,
      });
      expect(
        (await asAdmin('GET', '/_synapse/admin/v1/registration_tokens?valid=false')).body.registration_tokens,
      ).toEqual([expect.objectContaining({ token })]);
    });

    it('updates and deletes a token', async () => {
      await asAdmin('POST', '/_synapse/admin/v1/registration_tokens/new', { token: 'named-token' });
      expect(
        (await asAdmin('PUT', '/_synapse/admin/v1/registration_tokens/named-token', { uses_allowed: 5 })).body,
      ).toMatchObject({ uses_allowed: 5 });
      expect((await asAdmin('DELETE', '/_synapse/admin/v1/registration_tokens/named-token')).status).toBe(200);
      expect(await asAdmin('GET', '/_synapse/admin/v1/registration_tokens/named-token')).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      });
      expect(
        (await hs.client(undefined, 'GET', '/register/m.login.registration_token/validity?token=named-token')).body,
      ).toEqual({ valid: false });
    });

    it('refuses a token that is already there', async () => {
      expect(
        await asAdmin('POST', '/_synapse/admin/v1/registration_tokens/new', { token: 'from-config' }),
      ).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
    });
  });

  describe('server notices', () => {
    let roomId: string;
    const notice = (body: string) => ({ user_id: alice.userId, content: { msgtype: 'm.text', body } });

    beforeAll(async () => {
      await asAdmin('POST', '/_synapse/admin/v1/send_server_notice', notice('Maintenance at noon'));
      const sync = (await hs.client(alice.token, 'GET', '/sync')).body as {
        rooms: { invite: Record<string, { invite_state: { events: Array<{ sender: string }> } }> };
      };
      [roomId] = Object.keys(sync.rooms.invite);
    });

    it('is not for users who are not admins', async () => {
      expect(await hs.request(alice.token, 'POST', '/_synapse/admin/v1/send_server_notice', notice('x'))).toMatchObject(
        { status: 403, body: { errcode: 'M_FORBIDDEN' } },
      );
    });

    it('invites the user, from the notices user, into a room tagged m.server_notice', async () => {
      const sync = (await hs.client(alice.token, 'GET', '/sync')).body as {
        rooms: { invite: Record<string, { invite_state: { events: Array<{ sender: string }> } }> };
      };
      expect(sync.rooms.invite[roomId].invite_state.events[0].sender).toBe('@notices:admin.test');
      expect(
        (
          await hs.client(
            alice.token,
            'GET',
            `/user/${encodeURIComponent(alice.userId)}/rooms/${encodeURIComponent(roomId)}/tags`,
          )
        ).body,
      ).toEqual({ tags: { 'm.server_notice': { order: 0.5 } } });
    });

    it('refuses the rejection of the invite with M_CANNOT_LEAVE_SERVER_NOTICE_ROOM', async () => {
      expect(await hs.client(alice.token, 'POST', `/rooms/${encodeURIComponent(roomId)}/leave`, {})).toMatchObject({
        status: 403,
        body: { errcode: 'M_CANNOT_LEAVE_SERVER_NOTICE_ROOM' },
      });
    });

    it('holds the notice, which the user reads once joined', async () => {
      await hs.client(alice.token, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
      const messages = (await hs.client(alice.token, 'GET', `/rooms/${encodeURIComponent(roomId)}/messages?dir=b`)).body
        .chunk as Array<{ type: string; content: { body?: string } }>;
      expect(messages.find((e) => e.type === 'm.room.message')?.content.body).toBe('Maintenance at noon');
    });

    it('invites a user who left back into the same room', async () => {
      expect((await hs.client(alice.token, 'POST', `/rooms/${encodeURIComponent(roomId)}/leave`, {})).status).toBe(200);
      await asAdmin('POST', '/_synapse/admin/v1/send_server_notice', notice('Again'));
      const sync = (await hs.client(alice.token, 'GET', '/sync')).body as {
        rooms: { invite: Record<string, unknown> };
      };
      expect(Object.keys(sync.rooms.invite)).toEqual([roomId]);
    });

    it('answers a repeated PUT with the same transaction ID with the same event', async () => {
      const first = await asAdmin('PUT', '/_synapse/admin/v1/send_server_notice/txn1', notice('Once'));
      const again = await asAdmin('PUT', '/_synapse/admin/v1/send_server_notice/txn1', notice('Once'));
      expect(first.status).toBe(200);
      expect(again.body.event_id).toBe(first.body.event_id);
    });
  });

  describe('tenants at run time', () => {
    const operator = (method: string, path: string, body?: unknown) =>
      hs.request(OPERATOR, method, `/_lattice/admin/v1/tenants${path}`, body);

    it('refuses a wrong operator token', async () => {
      expect(await hs.request('not-the-token', 'GET', '/_lattice/admin/v1/tenants')).toMatchObject({
        status: 401,
        body: { errcode: 'M_UNKNOWN_TOKEN' },
      });
    });

    it('creates a tenant that is served at once, with its own signing key', async () => {
      const fresh = new HostClient(server.url, 'fresh.test');
      expect((await fresh.client(undefined, 'GET', '/register/available?username=x')).status).toBe(404);
      const created = await operator('PUT', '/fresh.test', {
        hostnames: ['chat.fresh.test'],
        registration: { mode: 'open' },
      });
      expect(created).toMatchObject({
        status: 201,
        body: {
          server_name: 'fresh.test',
          disabled: false,
          signing_key: { key_id: expect.stringMatching(/^ed25519:/) },
        },
      });
      const keys = await fresh.request(undefined, 'GET', '/_matrix/key/v2/server');
      expect(Object.keys(keys.body.verify_keys as object)).toEqual([
        (created.body.signing_key as { key_id: string }).key_id,
      ]);
      const registered = await new HostClient(server.url, 'chat.fresh.test').client(undefined, 'POST', '/register', {
        username: 'first',
        password: 'pw',
        auth: { type: 'm.login.dummy' },
      });
      expect(registered).toMatchObject({ status: 200, body: { user_id: '@first:fresh.test' } });
    });

    it('changes a tenant at run time', async () => {
      await operator('PUT', '/changing.test', { registration: { mode: 'open' } });
      const changing = new HostClient(server.url, 'changing.test');
      expect(
        (
          await changing.client(undefined, 'POST', '/register', {
            username: 'one',
            password: 'pw',
            auth: { type: 'm.login.dummy' },
          })
        ).status,
      ).toBe(200);
      expect((await operator('PUT', '/changing.test', { registration: { mode: 'closed' } })).status).toBe(200);
      expect(
        await changing.client(undefined, 'POST', '/register', {
          username: 'two',
          password: 'pw',
          auth: { type: 'm.login.dummy' },
        }),
      ).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    });

    it('disables a tenant: its hosts answer 404, its data stays, enabling brings it back', async () => {
      await operator('PUT', '/gone.test', { registration: { mode: 'open' } });
      const gone = new HostClient(server.url, 'gone.test');
      const { body } = await gone.client(undefined, 'POST', '/register', {
        username: 'u',
        password: 'pw',
        auth: { type: 'm.login.dummy' },
      });
      expect((await operator('DELETE', '/gone.test')).body).toMatchObject({ disabled: true });
      expect((await gone.client(body.access_token as string, 'GET', '/account/whoami')).status).toBe(404);
      await operator('PUT', '/gone.test', { disabled: false });
      expect((await gone.client(body.access_token as string, 'GET', '/account/whoami')).body).toMatchObject({
        user_id: '@u:gone.test',
      });
    });

    it('refuses a host that belongs to another tenant', async () => {
      expect(await operator('PUT', '/thief.test', { hostnames: ['admin.test'] })).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
    });

    it("replaces the operator's registration tokens as a set, leaving tokens an admin made alone", async () => {
      const tokens = (list: string[]) => operator('PUT', '/admin.test/registration_tokens', { tokens: list });
      expect((await tokens(['managed-one', 'from-config'])).body).toEqual({ added: 1, removed: 0 });
      expect((await tokens(['managed-two'])).body).toEqual({ added: 1, removed: 1 });
      const listed = (await asAdmin('GET', '/_synapse/admin/v1/registration_tokens')).body
        .registration_tokens as Array<{
        token: string;
      }>;
      expect(listed.map((t) => t.token)).toEqual(expect.arrayContaining(['from-config', 'managed-two']));
      expect(listed.map((t) => t.token)).not.toContain('managed-one');
      expect(await tokens(['not a token'])).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
      expect(await operator('PUT', '/nowhere.test/registration_tokens', { tokens: [] })).toMatchObject({
        status: 404,
      });
      expect((await tokens([])).body).toEqual({ added: 0, removed: 1 });
    });

    it('lists configured and stored tenants', async () => {
      const names = ((await operator('GET', '')).body.tenants as Array<{ server_name: string; source: string }>).map(
        (t) => `${t.server_name}:${t.source}`,
      );
      expect(names).toEqual(expect.arrayContaining(['admin.test:config', 'fresh.test:database']));
    });
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
