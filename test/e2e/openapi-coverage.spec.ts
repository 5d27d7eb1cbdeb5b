import { join } from 'node:path';
import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';
import { SpecFiles, type Operation } from '../support/openapi-operations';

/**
 * Operations other work owns, each with the reason; remove a line when its
 * area lands, so the walk covers it from then on.
 */
const OWNED_ELSEWHERE: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  { pattern: /^\/_matrix\/(client\/v1\/)?media\/|^\/_matrix\/media\//, why: 'media: the media issue' },
  { pattern: /\/pushers(\/set)?$|\/notifications$|\/pushrules\//, why: 'push rules, pushers and notifications: the push issue' },
  { pattern: /\/thirdparty\//, why: 'third-party networks: the application-services issue' },
];

/** Which operations a probe may leave out, and why; undefined when it must answer. */
const exemption = (op: Operation) => OWNED_ELSEWHERE.find((o) => o.pattern.test(op.path.replace(/^\/_matrix\/client\/v3\/media/, '/_matrix/media')))?.why;

/**
 * Walks every current (not deprecated) operation of the spec's client-server
 * OpenAPI (test/fixtures/matrix-spec) and fails if this server does not know
 * it: an unknown endpoint answers 404 `M_UNRECOGNIZED` (client-server-api
 * "Unknown endpoints"), anything else (even an error about the request) means
 * the endpoint exists.
 */
describe('every current client-server operation of the spec is served', () => {
  const spec = new SpecFiles(join(__dirname, '../fixtures/matrix-spec'));
  const operations = spec.operations('client-server').filter((op) => !op.deprecated);
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let alice: Account;
  let values: Record<string, string>;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    const raw = rawClient(() => server.url);
    alice = await raw.register('walker');
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    const eventId = (await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/walk`, { msgtype: 'm.text', body: 'hi' })).body.event_id as string;
    values = { userId: alice.userId, roomId, eventId, roomIdOrAlias: roomId, deviceId: alice.deviceId };
  }, 60_000);
  afterAll(async () => server.close());

  /** A path with each parameter filled with a real value where one exists, else a well-formed placeholder. */
  const concrete = (op: Operation) => op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? `x${name}`));

  async function unrecognized(op: Operation): Promise<boolean> {
    const response = await fetch(`${server.url}${concrete(op)}`, {
      method: op.method,
      headers: { authorization: `Bearer ${alice.token}`, ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
      body: op.method === 'GET' || op.method === 'DELETE' ? undefined : '{}',
    });
    const text = await response.text();
    return response.status === 404 && text.includes('M_UNRECOGNIZED');
  }

  it('answers every operation other work does not own', async () => {
    const missing: string[] = [];
    let answering = 0;
    for (const op of operations) {
      if (exemption(op)) continue;
      if (await unrecognized(op)) missing.push(`${op.method} ${op.path}`);
      else answering++;
    }
    // The count the issue tracks: answering operations out of all current ones, exempt areas included in the total.
    process.stdout.write(`openapi walk: ${answering} of ${operations.length} current client-server operations answer (${operations.filter(exemption).length} exempt)\n`);
    expect(missing).toEqual([]);
  }, 120_000);
});
