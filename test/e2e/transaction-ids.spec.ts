import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** client-server-api "Transaction identifiers": a retransmission is the same transaction ID on the same request path. */
describe('transaction IDs', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let first: string;
  let second: string;

  const send = async (roomId: string, type: string, body: string, txnId = 'same-txn') =>
    (
      await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/${type}/${txnId}`, {
        msgtype: 'm.text',
        body,
      })
    ).body.event_id as string;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('txn-user');
    first = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
    second = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
  }, 60_000);
  afterAll(async () => server.close());

  it('answers a repeated request on the same path with the first event, even if its body changed', async () => {
    const original = await send(first, 'm.room.message', 'first');
    expect(await send(first, 'm.room.message', 'changed')).toBe(original);
  });

  it('makes a new event for the same transaction ID in another room', async () => {
    const here = await send(first, 'm.room.message', 'one', 'per-room');
    expect(await send(second, 'm.room.message', 'one', 'per-room')).not.toBe(here);
  });

  it('makes a new event for the same transaction ID with another event type', async () => {
    const message = await send(first, 'm.room.message', 'one', 'per-type');
    expect(await send(first, 'm.custom.event', 'one', 'per-type')).not.toBe(message);
  });
});
