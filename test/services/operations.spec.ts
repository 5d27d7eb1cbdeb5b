import { HostClient } from '../support/host-client';
import { startServicesDeployment } from '../support/services-deployment';

const OPERATOR = 'services-operator-token-0123456789';
const SECRET = 'services-shared-secret';

/**
 * Operations in services mode (separate processes over Postgres, NATS and
 * Redis, behind nginx): a tenant created through one client-api process is
 * served by every process without a restart; every process answers /metrics.
 */
describe('operations in services mode', () => {
  let deployment: Awaited<ReturnType<typeof startServicesDeployment>>;
  const direct = (name: string, host: string) =>
    new HostClient(`http://127.0.0.1:${deployment.process(name).port}`, host);

  beforeAll(async () => {
    process.env.LATTICE_ADMIN_TOKEN = OPERATOR;
    process.env.LATTICE_REGISTRATION_SHARED_SECRET = SECRET;
    try {
      deployment = await startServicesDeployment();
    } finally {
      delete process.env.LATTICE_ADMIN_TOKEN;
      delete process.env.LATTICE_REGISTRATION_SHARED_SECRET;
    }
  }, 120_000);
  afterAll(async () => deployment?.close());

  it('serves a tenant created through one process from every process, without a restart', async () => {
    const created = await direct('client-api-1', 'anything').request(
      OPERATOR,
      'PUT',
      '/_lattice/admin/v1/tenants/ops.test',
      { registration: { mode: 'open' } },
    );
    expect(created.status).toBe(201);
    const keyId = (created.body.signing_key as { key_id: string }).key_id;
    await eventually(
      async () =>
        (await direct('client-api-2', 'ops.test').client(undefined, 'GET', '/register/available?username=x')).status ===
        200,
    );
    expect(
      (await direct('federation-api', 'ops.test').request(undefined, 'GET', '/_matrix/key/v2/server')).body,
    ).toMatchObject({ server_name: 'ops.test', verify_keys: { [keyId]: expect.any(Object) } });
    expect((await direct('sync-2', 'ops.test').client(undefined, 'GET', '/sync')).body).toMatchObject({
      errcode: 'M_MISSING_TOKEN',
    });
  });

  it('stops serving a disabled tenant in every process', async () => {
    await direct('client-api-2', 'anything').request(OPERATOR, 'PUT', '/_lattice/admin/v1/tenants/brief.test', {
      registration: { mode: 'open' },
    });
    await eventually(
      async () => (await direct('sync-1', 'brief.test').client(undefined, 'GET', '/sync')).status === 401,
    );
    await direct('client-api-1', 'anything').request(OPERATOR, 'DELETE', '/_lattice/admin/v1/tenants/brief.test');
    await eventually(
      async () => (await direct('sync-1', 'brief.test').client(undefined, 'GET', '/sync')).status === 404,
    );
    await eventually(
      async () =>
        (await direct('federation-api', 'brief.test').request(undefined, 'GET', '/_matrix/key/v2/server')).status ===
        404,
    );
  });

  it('routes the admin API through nginx to the client-api', async () => {
    const hs = new HostClient(deployment.url, 'localhost');
    const admin = await hs.registerWithSecret(SECRET, 'root', { admin: true });
    expect((await hs.request(admin.token, 'GET', '/_synapse/admin/v2/users')).body).toMatchObject({
      total: 1,
      users: [{ name: '@root:localhost', admin: true }],
    });
    expect((await fetch(`${deployment.url}/metrics`)).status).toBe(404);
  });

  it('exposes /metrics on every process, labelled with its role', async () => {
    const hs = new HostClient(deployment.url, 'localhost');
    const user = await hs.registerWithSecret(SECRET, 'scraped');
    const { room_id: roomId } = (await hs.client(user.token, 'POST', '/createRoom', {})).body as { room_id: string };
    await hs.client(user.token, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, {
      msgtype: 'm.text',
      body: 'counted',
    });
    for (const p of deployment.processes) {
      const response = await fetch(`http://127.0.0.1:${p.port}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain(`nodejs_eventloop_lag_p99_seconds{service="${p.app}"}`);
    }
    const roomServer = await (await fetch(`http://127.0.0.1:${deployment.process('room-server').port}/metrics`)).text();
    expect(roomServer).toMatch(
      /lattice_jetstream_consumer_pending\{consumer="room-input",partition="\d+",service="room-server"\} \d+/,
    );
    expect(roomServer).toMatch(/lattice_room_input_batch_size_count\{service="room-server"\} [1-9]/);
    expect(roomServer).toMatch(/lattice_room_persist_duration_seconds_count\{service="room-server"\} [1-9]/);
    expect(roomServer).toMatch(/lattice_db_pool_connections\{pool="prisma",state="total",service="room-server"\} \d+/);
    const sync = await (await fetch(`http://127.0.0.1:${deployment.process('sync-1').port}/metrics`)).text();
    expect(sync).toMatch(
      /lattice_jetstream_consumer_pending\{consumer="output.room",partition="",service="sync"\} \d+/,
    );
    expect(sync).toMatch(/lattice_sync_waiters\{service="sync"\} \d+/);
    const federation = await (
      await fetch(`http://127.0.0.1:${deployment.process('federation-api').port}/metrics`)
    ).text();
    expect(federation).toContain('# TYPE lattice_federation_queue_depth gauge');
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
