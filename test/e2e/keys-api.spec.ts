import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** What /keys/upload, /keys/query and /keys/claim accept, and in which order one-time keys are handed out. */
describe('end-to-end keys API', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;

  const identityKeys = (account: Account) => ({
    user_id: account.userId,
    device_id: account.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2'],
    keys: { [`ed25519:${account.deviceId}`]: 'ed' },
    signatures: {},
  });

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('keys-alice');
  }, 60_000);
  afterAll(async () => server.close());

  it('refuses device keys missing a required field with M_BAD_JSON and stores nothing', async () => {
    const { algorithms: _algorithms, ...incomplete } = identityKeys(alice);
    expect(
      await raw.call(alice, 'POST', '/keys/upload', {
        device_keys: incomplete,
        one_time_keys: { 'signed_curve25519:X': { key: 'x' } },
      }),
    ).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
    const query = (await raw.call(alice, 'POST', '/keys/query', { device_keys: { [alice.userId]: [] } })).body
      .device_keys as Record<string, object>;
    expect(query[alice.userId]).toEqual({});
  });

  it('refuses a query naming devices in an object instead of a list with M_BAD_JSON', async () => {
    expect(
      await raw.call(alice, 'POST', '/keys/query', { device_keys: { [alice.userId]: { DEVICE: true } } }),
    ).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } });
  });

  it('hands out one-time keys in the order they were uploaded, whatever their IDs', async () => {
    const bob = await raw.register('keys-bob');
    expect(
      (
        await raw.call(bob, 'POST', '/keys/upload', {
          device_keys: identityKeys(bob),
          one_time_keys: { 'signed_curve25519:1': { key: 'first' } },
        })
      ).status,
    ).toBe(200);
    expect(
      (await raw.call(bob, 'POST', '/keys/upload', { one_time_keys: { 'signed_curve25519:0': { key: 'second' } } }))
        .status,
    ).toBe(200);
    const claim = async () =>
      (
        (
          await raw.call(alice, 'POST', '/keys/claim', {
            one_time_keys: { [bob.userId]: { [bob.deviceId]: 'signed_curve25519' } },
          })
        ).body.one_time_keys as Record<string, Record<string, object>>
      )[bob.userId]?.[bob.deviceId];
    expect(await claim()).toEqual({ 'signed_curve25519:1': { key: 'first' } });
    expect(await claim()).toEqual({ 'signed_curve25519:0': { key: 'second' } });
  });
});
