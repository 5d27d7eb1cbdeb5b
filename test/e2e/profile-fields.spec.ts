import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** Extended profile fields and DELETE /profile/{userId}/{keyName} (client-server-api "Profiles", v1.16). */
describe('extended profile fields', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  const enc = encodeURIComponent;
  const profile = (who: Account, key = '') =>
    raw.call(bob, 'GET', `/profile/${enc(who.userId)}${key ? `/${key}` : ''}`);

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('pf-alice');
    bob = await raw.register('pf-bob');
  }, 60_000);
  afterAll(async () => server.close());

  it('sets, reads and deletes m.tz and a custom key, which the whole profile shows', async () => {
    expect(
      (await raw.call(alice, 'PUT', `/profile/${enc(alice.userId)}/m.tz`, { 'm.tz': 'Europe/London' })).status,
    ).toBe(200);
    expect(
      (
        await raw.call(alice, 'PUT', `/profile/${enc(alice.userId)}/org.example.pets`, {
          'org.example.pets': ['cat', 'dog'],
        })
      ).status,
    ).toBe(200);
    expect((await profile(alice, 'm.tz')).body).toEqual({ 'm.tz': 'Europe/London' });
    expect((await profile(alice)).body).toMatchObject({ 'm.tz': 'Europe/London', 'org.example.pets': ['cat', 'dog'] });
    expect((await raw.call(alice, 'DELETE', `/profile/${enc(alice.userId)}/m.tz`)).status).toBe(200);
    expect((await profile(alice, 'm.tz')).body.errcode).toBe('M_NOT_FOUND');
    expect((await profile(alice)).body['org.example.pets']).toEqual(['cat', 'dog']);
  });

  it('deletes the display name, and the member events follow', async () => {
    await raw.call(alice, 'PUT', `/profile/${enc(alice.userId)}/displayname`, { displayname: 'Alice' });
    const roomId = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
    expect((await raw.call(alice, 'DELETE', `/profile/${enc(alice.userId)}/displayname`)).status).toBe(200);
    expect((await profile(alice, 'displayname')).body.errcode).toBe('M_NOT_FOUND');
    const member = await raw.call(alice, 'GET', `/rooms/${enc(roomId)}/state/m.room.member/${enc(alice.userId)}`);
    expect(member.body.displayname).toBeUndefined();
  });

  it('refuses keys outside the namespaced grammar, over 255 bytes, a body without the key, and other users', async () => {
    expect((await raw.call(alice, 'PUT', `/profile/${enc(alice.userId)}/Bad Key`, { 'Bad Key': 1 })).body.errcode).toBe(
      'M_INVALID_PARAM',
    );
    const long = `org.${'x'.repeat(260)}`;
    expect((await raw.call(alice, 'PUT', `/profile/${enc(alice.userId)}/${long}`, { [long]: 1 })).body.errcode).toBe(
      'M_KEY_TOO_LARGE',
    );
    expect(
      (await raw.call(alice, 'PUT', `/profile/${enc(alice.userId)}/org.example.x`, { other: 1 })).body.errcode,
    ).toBe('M_MISSING_PARAM');
    expect((await raw.call(bob, 'DELETE', `/profile/${enc(alice.userId)}/org.example.pets`)).body.errcode).toBe(
      'M_FORBIDDEN',
    );
  });

  it('keeps the whole profile under 64 KiB', async () => {
    const big = 'x'.repeat(40_000);
    expect(
      (await raw.call(alice, 'PUT', `/profile/${enc(alice.userId)}/org.example.a`, { 'org.example.a': big })).status,
    ).toBe(200);
    expect(
      (await raw.call(alice, 'PUT', `/profile/${enc(alice.userId)}/org.example.b`, { 'org.example.b': big })).body
        .errcode,
    ).toBe('M_PROFILE_TOO_LARGE');
    expect((await profile(alice)).body['org.example.b']).toBeUndefined();
  });
});
