import { HostClient } from '../support/host-client';
import { startEmbeddedServer } from '../support/embedded-server';

/** /metrics of the single process: Prometheus text, whatever the Host, with the request and room-input metrics filled in. */
describe('/metrics', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let scrape: () => Promise<{ status: number; type: string | null; text: string }>;

  beforeAll(async () => {
    server = await startEmbeddedServer({ tenants: [{ serverName: 'one.test' }, { serverName: 'two.test' }] });
    scrape = async () => {
      const response = await fetch(`${server.url}/metrics`);
      return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
    };
    const hs = new HostClient(server.url, 'one.test');
    const { body } = await hs.client(undefined, 'POST', '/register', {
      username: 'ann',
      password: 'pw',
      auth: { type: 'm.login.dummy' },
    });
    const token = body.access_token as string;
    const { room_id: roomId } = (await hs.client(token, 'POST', '/createRoom', {})).body as { room_id: string };
    await hs.client(token, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, {
      msgtype: 'm.text',
      body: 'hi',
    });
  }, 60_000);
  afterAll(async () => server.close());

  it('answers Prometheus text to a Host that names no tenant (a scraper uses the pod IP)', async () => {
    const { status, type } = await scrape();
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts requests by route pattern and status, not by path', async () => {
    const { text } = await scrape();
    expect(text).toMatch(
      /lattice_http_requests_total\{method="PUT",route="\/_matrix\/client\/v3\/rooms\/:roomId\/send\/:eventType\/:txnId",status="200",service="all"\} 1/,
    );
    expect(text).toMatch(
      /lattice_http_request_duration_seconds_bucket\{le="0\.005",service="all",method="POST",route="\/_matrix\/client\/v3\/createRoom",status="200"/,
    );
  });

  it('records room-input batches and persist times', async () => {
    const { text } = await scrape();
    expect(Number(/lattice_room_input_batch_size_count\{service="all"\} (\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
    expect(
      Number(/lattice_room_persist_duration_seconds_count\{service="all"\} (\d+)/.exec(text)?.[1]),
    ).toBeGreaterThan(0);
  });

  it('has the sync waiter gauge and Node runtime metrics', async () => {
    const { text } = await scrape();
    expect(text).toMatch(/lattice_sync_waiters\{service="all"\} 0/);
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
  });
});
