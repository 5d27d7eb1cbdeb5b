import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** /sync's room `summary` (client-server-api GET /sync): member counts, and heroes for a room without a name. */
describe('the room summary in /sync', () => {
  jest.setTimeout(30_000);
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  const summaryOf = async (account: Account, roomId: string, since?: string) =>
    ((await raw.sync(account, since)).rooms?.join?.[roomId] as { summary?: Record<string, unknown> } | undefined)
      ?.summary;
  let txn = 0;
  const send = (account: Account, roomId: string, body: string) =>
    raw.call(account, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${++txn}`, {
      msgtype: 'm.text',
      body,
    });

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('sum-alice');
    bob = await raw.register('sum-bob');
  }, 60_000);
  afterAll(async () => server.close());

  it('counts joined and invited members, and names heroes when the room has no name', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat', invite: [bob.userId] })).body
      .room_id as string;
    expect(await summaryOf(alice, roomId)).toEqual({
      'm.heroes': [bob.userId],
      'm.joined_member_count': 1,
      'm.invited_member_count': 1,
    });
    const since = (await raw.sync(bob)).next_batch;
    await raw.call(bob, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    expect(await summaryOf(bob, roomId, since)).toEqual({
      'm.heroes': [alice.userId],
      'm.joined_member_count': 2,
      'm.invited_member_count': 0,
    });
  });

  it('gives no heroes for a room with a name', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { name: 'Named' })).body.room_id as string;
    expect(await summaryOf(alice, roomId)).toEqual({ 'm.joined_member_count': 1, 'm.invited_member_count': 0 });
  });

  it("follows the room's members and name from one incremental sync to the next", async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    await send(alice, roomId, 'hello');
    let since = (await raw.sync(alice)).next_batch;
    await send(alice, roomId, 'anyone?');
    expect(await summaryOf(alice, roomId, since)).toEqual({
      'm.heroes': [],
      'm.joined_member_count': 1,
      'm.invited_member_count': 0,
    });
    since = (await raw.sync(alice)).next_batch;
    await raw.call(bob, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    expect(await summaryOf(alice, roomId, since)).toEqual({
      'm.heroes': [bob.userId],
      'm.joined_member_count': 2,
      'm.invited_member_count': 0,
    });
    since = (await raw.sync(alice)).next_batch;
    await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/state/m.room.name/`, { name: 'Named now' });
    expect(await summaryOf(alice, roomId, since)).toEqual({ 'm.joined_member_count': 2, 'm.invited_member_count': 0 });
  });
});
