import { Redis } from 'ioredis';
import { Client } from 'pg';
import { rawClient, type Account } from '../support/raw-client';
import { startServicesDeployment } from '../support/services-deployment';
import { servicesEnv } from '../support/services-env';
import { SlidingSyncClient, type SlidingResponse } from '../support/sliding-sync-client';

type Deployment = Awaited<ReturnType<typeof startServicesDeployment>>;

/**
 * Simplified sliding sync in services mode: nginx sends it to the sync
 * workers, and a connection's state lives in Postgres, cached in Redis, so
 * the next request of a connection may go to the other worker, also after
 * one is killed.
 */
describe('sliding sync in services mode', () => {
  let deployment: Deployment;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  let roomId: string;
  let target: string;
  let ss: SlidingSyncClient;
  let txn = 0;
  let redis: Redis;
  let cacheKey: string;

  const worker = (name: string) => `http://127.0.0.1:${deployment.process(name).port}`;
  const request = { lists: { all: { ranges: [[0, 9]], timeline_limit: 5, required_state: [['m.room.name', '']] } } };
  const send = (body: string) =>
    raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${txn++}`, {
      msgtype: 'm.text',
      body,
    });
  const bodies = (response: SlidingResponse) => (response.rooms?.[roomId]?.timeline ?? []).map((e) => e.content.body);

  beforeAll(async () => {
    deployment = await startServicesDeployment();
    raw = rawClient(() => deployment.url);
    alice = await raw.register('ss-alice');
    bob = await raw.register('ss-bob');
    roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat', name: 'workers' })).body
      .room_id as string;
    await raw.call(bob, 'POST', `/join/${encodeURIComponent(roomId)}`, {});
    ss = new SlidingSyncClient(() => target, bob.token);
    redis = new Redis(servicesEnv().redisUrl);
    const db = new Client({ connectionString: deployment.databaseUrl });
    await db.connect();
    const databaseId = (await db.query<{ id: string }>('SELECT id FROM database_identity')).rows[0].id;
    await db.end();
    cacheKey = `lattice:${databaseId}:sliding_sync:${[bob.userId, bob.deviceId, ss.connId].map(encodeURIComponent).join(':')}`;
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await deployment?.close();
  });

  it('is routed to the sync workers through nginx', async () => {
    target = deployment.url;
    const response = await ss.sync(request);
    expect(response.rooms![roomId]).toMatchObject({ initial: true, name: 'workers' });
  });

  it('continues a connection on the other sync worker, whose long-poll wakes for a new message', async () => {
    target = worker('sync-1');
    await ss.sync(request);
    target = worker('sync-2');
    const poll = ss.sync(request, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    await send('on the other worker');
    expect(bodies(await poll)).toEqual(['on the other worker']);
  });

  it('continues a connection after the sync worker it used is killed', async () => {
    await deployment.kill('sync-2');
    try {
      await send('while sync-2 is down');
      target = worker('sync-1');
      expect(bodies(await ss.sync(request, 5_000))).toEqual(['while sync-2 is down']);
    } finally {
      await deployment.restart('sync-2');
    }
  }, 60_000);

  it('caches the connection in Redis, and continues it from Postgres when the entry is gone', async () => {
    const cachedPos = async () => (JSON.parse((await redis.get(cacheKey)) ?? '{}') as { pos?: number }).pos;
    const counter = () => Number(ss.pos!.split('.')[1]);
    target = worker('sync-1');
    await send('cached');
    await ss.sync(request, 5_000);
    expect(await cachedPos()).toBe(counter());

    await redis.del(cacheKey);
    await send('after the entry went');
    target = worker('sync-2');
    expect(bodies(await ss.sync(request, 5_000))).toEqual(['after the entry went']);
    expect(await cachedPos()).toBe(counter());
  });
});
