import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** Server-side key backups on the wire (client-server-api "Server-side key backups"). */
describe('key backup against the embedded server', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  const { call, register } = rawClient(() => server.url);

  beforeAll(async () => {
    server = await startEmbeddedServer();
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  const algorithm = 'm.megolm_backup.v1.curve25519-aes-sha2';
  const room = '!room:localhost';
  const key = (firstMessageIndex: number, forwardedCount: number, isVerified: boolean, data = 'x') => ({
    first_message_index: firstMessageIndex,
    forwarded_count: forwardedCount,
    is_verified: isVerified,
    session_data: { ephemeral: 'e', ciphertext: data, mac: 'm' },
  });

  async function newVersion(account: Account, publicKey = 'pk'): Promise<string> {
    return (await call(account, 'POST', '/room_keys/version', { algorithm, auth_data: { public_key: publicKey } })).body
      .version as string;
  }

  it('creates a version, answered as the latest and by its number, with count 0', async () => {
    const alice = await register('backup-create');
    expect((await call(alice, 'GET', '/room_keys/version')).body.errcode).toBe('M_NOT_FOUND');
    const version = await newVersion(alice);
    const latest = await call(alice, 'GET', '/room_keys/version');
    expect(latest.body).toEqual({
      version,
      algorithm,
      auth_data: { public_key: 'pk' },
      count: 0,
      etag: expect.any(String),
    });
    expect((await call(alice, 'GET', `/room_keys/version/${version}`)).body).toEqual(latest.body);
    expect((await call(alice, 'GET', '/room_keys/version/999')).status).toBe(404);
  });

  it('updates auth_data, but refuses another algorithm or a version in the body that differs from the path', async () => {
    const alice = await register('backup-update');
    const version = await newVersion(alice);
    expect(
      (
        await call(alice, 'PUT', `/room_keys/version/${version}`, {
          algorithm,
          auth_data: { public_key: 'new' },
          version,
        })
      ).status,
    ).toBe(200);
    expect((await call(alice, 'GET', `/room_keys/version/${version}`)).body.auth_data).toEqual({ public_key: 'new' });
    const otherAlgorithm = await call(alice, 'PUT', `/room_keys/version/${version}`, {
      algorithm: 'org.example.other',
      auth_data: {},
    });
    expect([otherAlgorithm.status, otherAlgorithm.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const otherVersion = await call(alice, 'PUT', `/room_keys/version/${version}`, {
      algorithm,
      auth_data: {},
      version: '77',
    });
    expect([otherVersion.status, otherVersion.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
  });

  it('deletes a version with its keys; deleting it again succeeds, a version that never existed is 404', async () => {
    const alice = await register('backup-delete');
    const version = await newVersion(alice);
    await call(alice, 'PUT', `/room_keys/keys/${room}/s1?version=${version}`, key(0, 0, false));
    expect((await call(alice, 'DELETE', `/room_keys/version/${version}`)).status).toBe(200);
    expect((await call(alice, 'DELETE', `/room_keys/version/${version}`)).status).toBe(200);
    expect((await call(alice, 'DELETE', '/room_keys/version/12345')).status).toBe(404);
    expect((await call(alice, 'GET', '/room_keys/version')).status).toBe(404);
    expect((await call(alice, 'GET', `/room_keys/keys?version=${version}`)).status).toBe(404);
    expect(await newVersion(alice)).not.toBe(version);
  });

  it('stores keys by session, room and all at once, answering etag and count, and reads them back the same three ways', async () => {
    const alice = await register('backup-keys');
    const version = await newVersion(alice);
    const one = await call(alice, 'PUT', `/room_keys/keys/${room}/s1?version=${version}`, key(0, 0, false, 'one'));
    expect(one.body).toEqual({ etag: expect.any(String), count: 1 });
    await call(alice, 'PUT', `/room_keys/keys/${room}?version=${version}`, {
      sessions: { s2: key(0, 0, false, 'two') },
    });
    const all = await call(alice, 'PUT', `/room_keys/keys?version=${version}`, {
      rooms: { '!other:localhost': { sessions: { s3: key(0, 0, false, 'three') } } },
    });
    expect(all.body.count).toBe(3);
    expect(all.body.etag).not.toBe(one.body.etag);

    expect((await call(alice, 'GET', `/room_keys/keys/${room}/s1?version=${version}`)).body).toEqual(
      key(0, 0, false, 'one'),
    );
    expect((await call(alice, 'GET', `/room_keys/keys/${room}?version=${version}`)).body).toEqual({
      sessions: { s1: key(0, 0, false, 'one'), s2: key(0, 0, false, 'two') },
    });
    expect((await call(alice, 'GET', `/room_keys/keys?version=${version}`)).body).toEqual({
      rooms: {
        [room]: { sessions: { s1: key(0, 0, false, 'one'), s2: key(0, 0, false, 'two') } },
        '!other:localhost': { sessions: { s3: key(0, 0, false, 'three') } },
      },
    });
    expect((await call(alice, 'GET', `/room_keys/keys/!empty:localhost?version=${version}`)).body).toEqual({
      sessions: {},
    });
    expect((await call(alice, 'GET', `/room_keys/keys/${room}/nosuch?version=${version}`)).status).toBe(404);
    expect((await call(alice, 'GET', `/room_keys/version/${version}`)).body).toMatchObject({
      count: 3,
      etag: all.body.etag,
    });
  });

  it('keeps the better of two copies of a session: verified, then lower first_message_index, then lower forwarded_count', async () => {
    const alice = await register('backup-better');
    const version = await newVersion(alice);
    const put = (k: ReturnType<typeof key>) => call(alice, 'PUT', `/room_keys/keys/${room}/s?version=${version}`, k);
    const stored = async () =>
      (await call(alice, 'GET', `/room_keys/keys/${room}/s?version=${version}`)).body.session_data;

    await put(key(5, 2, false, 'first'));
    const unchanged = (await call(alice, 'GET', `/room_keys/version/${version}`)).body.etag;
    expect((await put(key(6, 0, false, 'worse index'))).body.etag).toBe(unchanged);
    expect(await stored()).toEqual(expect.objectContaining({ ciphertext: 'first' }));
    await put(key(5, 1, false, 'fewer forwards'));
    expect(await stored()).toEqual(expect.objectContaining({ ciphertext: 'fewer forwards' }));
    await put(key(3, 9, false, 'lower index'));
    expect(await stored()).toEqual(expect.objectContaining({ ciphertext: 'lower index' }));
    await put(key(9, 9, true, 'verified'));
    expect(await stored()).toEqual(expect.objectContaining({ ciphertext: 'verified' }));
    await put(key(0, 0, false, 'unverified'));
    expect(await stored()).toEqual(expect.objectContaining({ ciphertext: 'verified' }));
  });

  it('writes only to the current version: an older one is 403 M_WRONG_ROOM_KEYS_VERSION with current_version', async () => {
    const alice = await register('backup-wrong-version');
    const old = await newVersion(alice);
    const current = await newVersion(alice, 'pk2');
    const refused = await call(alice, 'PUT', `/room_keys/keys/${room}/s?version=${old}`, key(0, 0, false));
    expect([refused.status, refused.body.errcode, refused.body.current_version]).toEqual([
      403,
      'M_WRONG_ROOM_KEYS_VERSION',
      current,
    ]);
    expect((await call(alice, 'PUT', `/room_keys/keys/${room}/s?version=999`, key(0, 0, false))).status).toBe(404);
  });

  it('deletes keys by session, room and all, answering the count left', async () => {
    const alice = await register('backup-delete-keys');
    const version = await newVersion(alice);
    await call(alice, 'PUT', `/room_keys/keys?version=${version}`, {
      rooms: {
        [room]: { sessions: { a: key(0, 0, false), b: key(0, 0, false) } },
        '!two:localhost': { sessions: { c: key(0, 0, false) } },
      },
    });
    expect((await call(alice, 'DELETE', `/room_keys/keys/${room}/a?version=${version}`)).body.count).toBe(2);
    expect((await call(alice, 'DELETE', `/room_keys/keys/${room}?version=${version}`)).body.count).toBe(1);
    expect((await call(alice, 'DELETE', `/room_keys/keys?version=${version}`)).body.count).toBe(0);
  });

  it('refuses a malformed key with M_BAD_JSON, and keys without a version with M_MISSING_PARAM', async () => {
    const alice = await register('backup-bad');
    const version = await newVersion(alice);
    const bad = await call(alice, 'PUT', `/room_keys/keys/${room}/s?version=${version}`, { first_message_index: 0 });
    expect([bad.status, bad.body.errcode]).toEqual([400, 'M_BAD_JSON']);
    const missing = await call(alice, 'GET', '/room_keys/keys');
    expect([missing.status, missing.body.errcode]).toEqual([400, 'M_MISSING_PARAM']);
  });

  it('keeps each user backups to themselves', async () => {
    const [alice, bob] = await Promise.all([register('backup-owner'), register('backup-other')]);
    const version = await newVersion(alice);
    expect((await call(bob, 'GET', `/room_keys/version/${version}`)).status).toBe(404);
  });
});
