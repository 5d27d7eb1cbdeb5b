import { HostClient } from '../support/host-client';
import { jaegerBinary, startJaeger, type Jaeger, type JaegerTrace } from '../support/jaeger';
import { startServicesDeployment } from '../support/services-deployment';

const jaegerPath = jaegerBinary();
if (!jaegerPath)
  process.stderr.write(
    'tracing-jaeger.spec: SKIPPED, needs the jaeger binary (LATTICE_JAEGER; .ci/run builds Jaeger v2 from the Go module proxy)\n',
  );
const describeWithJaeger = jaegerPath ? describe : describe.skip;

/**
 * Traces of a services deployment (every service its own process, over
 * NATS and Postgres, behind nginx) in a real Jaeger v2, read back through
 * Jaeger's query API: one message sent is one trace, named by route, that
 * crosses the client-api, the bus, the room-server and its Postgres queries.
 */
describeWithJaeger('traces in Jaeger', () => {
  let jaeger: Jaeger;
  let deployment: Awaited<ReturnType<typeof startServicesDeployment>>;

  beforeAll(async () => {
    jaeger = await startJaeger(jaegerPath!);
    deployment = await startServicesDeployment({ env: { LATTICE_OTLP_ENDPOINT: jaeger.otlpEndpoint } });
  }, 180_000);
  afterAll(async () => {
    await deployment?.close();
    await jaeger?.stop();
  });

  it('follows a sent message from the client-api across the bus to the room-server and Postgres, named by route', async () => {
    const client = new HostClient(deployment.url, 'localhost');
    const { body: registered } = await client.client(undefined, 'POST', '/register', {
      username: 'tracer',
      password: 'a long enough password',
      auth: { type: 'm.login.dummy' },
    });
    const token = registered.access_token as string;
    const created = await client.client(token, 'POST', '/createRoom', {});
    expect(created).toMatchObject({ status: 200, body: { room_id: expect.any(String) } });
    const roomId = created.body.room_id as string;
    const sent = await client.client(token, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, {
      msgtype: 'm.text',
      body: 'traced',
    });
    expect(sent).toMatchObject({ status: 200 });

    const seen = async () => {
      const services = (await jaeger.query('/api/services')).data as string[] | null;
      const operations = await Promise.all(
        (services ?? []).map(async (service) => [
          service,
          (await jaeger.query(`/api/services/${service}/operations`)).data,
        ]),
      );
      return `Jaeger has ${JSON.stringify(operations)}`;
    };
    const trace = await eventually(seen, async () => {
      const operations = (await jaeger.query('/api/services/lattice-client-api/operations')).data as string[];
      const send = operations.find((o) => o.startsWith('PUT ') && o.includes('/send/'));
      if (!send) return undefined;
      const traces = (
        await jaeger.query(`/api/traces?service=lattice-client-api&operation=${encodeURIComponent(send)}&limit=5`)
      ).data as JaegerTrace[];
      return traces.find(
        (t) => servicesOf(t).has('lattice-room-server') && t.spans.some((s) => s.operationName.startsWith('pg.query')),
      );
    });
    const root = trace.spans.find((s) => s.references.length === 0)!;
    expect(root.operationName).toMatch(/^PUT \/_matrix\/client\/.*\/rooms\/:roomId\/send\/:eventType\/:txnId$/);
    expect(root.tags).toContainEqual(expect.objectContaining({ key: 'http.route' }));
    expect([...servicesOf(trace)]).toEqual(expect.arrayContaining(['lattice-client-api', 'lattice-room-server']));
    // The room-server's database work is inside the same trace, under the bus message that carried the event.
    const roomServerQueries = trace.spans.filter(
      (s) =>
        trace.processes[s.processID].serviceName === 'lattice-room-server' && s.operationName.startsWith('pg.query'),
    );
    expect(roomServerQueries.length).toBeGreaterThan(0);
  }, 120_000);
});

function servicesOf(trace: JaegerTrace): Set<string> {
  return new Set(Object.values(trace.processes).map((p) => p.serviceName));
}

/** Polls until `find` answers something: spans reach Jaeger in batches, some time after the request. */
async function eventually<T>(
  seen: () => Promise<string>,
  find: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`No such trace within ${timeoutMs} ms. ${await seen()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
