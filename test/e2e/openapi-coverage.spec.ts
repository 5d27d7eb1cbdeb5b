import { join } from 'node:path';
import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';
import { SpecFiles, type Operation } from '../support/openapi-operations';

/**
 * Operations that may answer M_UNRECOGNIZED, each with the reason: features
 * this server does not offer where the spec lets it say so that way.
 */
const MAY_BE_MISSING: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  // The spec's own answer for a server without OAuth 2.0 is 404 M_UNRECOGNIZED (oauth_server_metadata.yaml).
  { pattern: /\/auth_metadata$/, why: 'OAuth 2.0 API: not offered, and 404 M_UNRECOGNIZED is how the spec says so' },
  { pattern: /\/login\/sso\//, why: 'single sign-on: no identity provider, and /login offers no m.login.sso flow' },
];

/** Which operations a probe may leave out, and why; undefined when it must answer. */
const exemption = (op: Operation) => MAY_BE_MISSING.find((o) => o.pattern.test(op.path))?.why;

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
    const eventId = (
      await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/walk`, {
        msgtype: 'm.text',
        body: 'hi',
      })
    ).body.event_id as string;
    values = { userId: alice.userId, roomId, eventId, roomIdOrAlias: roomId, deviceId: alice.deviceId };
  }, 60_000);
  afterAll(async () => server.close());

  /** A path with each parameter filled with a real value where one exists, else a well-formed placeholder. */
  const concrete = (op: Operation) =>
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? `x${name}`));

  async function unrecognized(op: Operation): Promise<boolean> {
    const response = await fetch(`${server.url}${concrete(op)}`, {
      method: op.method,
      headers: {
        authorization: `Bearer ${alice.token}`,
        ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
      },
      body: op.method === 'GET' || op.method === 'DELETE' ? undefined : '{}',
    });
    const text = await response.text();
    return response.status === 404 && text.includes('M_UNRECOGNIZED');
  }

  it('answers every operation other work does not own', async () => {
    const missing: string[] = [];
    const excused: string[] = [];
    for (const op of operations) {
      if (!(await unrecognized(op))) continue;
      const why = exemption(op);
      if (why) excused.push(`${op.method} ${op.path} (${why})`);
      else missing.push(`${op.method} ${op.path}`);
    }
    // The count the issue tracks: operations that answer, out of every current one.
    process.stdout.write(
      `openapi walk: ${operations.length - missing.length - excused.length} of ${operations.length} current client-server operations answer; excused:\n  ${excused.join('\n  ')}\n`,
    );
    expect(missing).toEqual([]);
  }, 120_000);
});
