import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { authorizationHeader, type SigningKey } from '../../libs/protocol/src';
import { Keyring } from '../../libs/rooms/src/keyring';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { clientRequest, startFederatingServer, type FederatingServer } from '../support/federating-server';
import { requestArbitrary, type FuzzRequest } from '../support/hostile-requests';
import { SpecFiles, type Operation } from '../support/openapi-operations';
import type { KnownValues } from '../support/schema-arbitrary';

/** Deterministic unless told otherwise, so a failure found once is found again. */
const SEED = Number(process.env.LATTICE_FUZZ_SEED ?? 20_260_705);
/** Requests per operation of the spec this server serves; those it does not (they answer M_UNRECOGNIZED) get a fifth as many. */
const RUNS = Number(process.env.LATTICE_FUZZ_RUNS ?? 16);
const CONCURRENCY = 4;
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Operations that end the session or the membership the other requests use:
 * fuzzed last, so a well-formed logout or leave does not turn everything
 * after it into 401s and 403s.
 */
const ENDS_SESSION =
  /\/(logout|deactivate|password|leave|forget|kick|ban|upgrade|delete_devices)\b|\/devices\/\{deviceId\}$/;

/**
 * A 502 is this server's answer when another server a request named could
 * not be reached or answered badly: the fuzzer names servers that do not
 * exist, and a gateway error is the honest answer about them. Unless the
 * name was malformed: that is bad input, which must be refused as such.
 */
const upstreamFailure = (answer: Answer) => answer.status === 502 && !/not a valid server name/.test(answer.body);

interface Answer {
  status: number;
  body: string;
}

/**
 * Every operation of the spec's client-server and server-server OpenAPI
 * (test/fixtures/matrix-spec), sent well-formed and hostile (wrong types,
 * missing fields, huge and nasty strings, deep nesting, bytes that are not
 * UTF-8, invalid JSON, oversized bodies, odd path segments and queries) to a
 * running server: client requests with a registered user's token,
 * federation requests signed by a second real server (and a tenth of
 * each without). No answer may be a
 * 5xx, and the server must still work afterwards.
 */
describe('fuzzing every endpoint of the spec with hostile input', () => {
  const certs = makeTestCertificates();
  const spec = new SpecFiles(join(__dirname, '../fixtures/matrix-spec'));
  // A connection per request: a kept-alive one the server closed after an oversized body would fail on reuse, which is no answer of the server's.
  const agent = new Agent({ keepAlive: false, maxSockets: CONCURRENCY });
  let a: FederatingServer;
  let b: FederatingServer;
  let bKey: SigningKey;
  let token: string;
  let known: KnownValues;

  beforeAll(async () => {
    [a, b] = await Promise.all([startFederatingServer(certs), startFederatingServer(certs, '127.0.0.1')]);
    bKey = await b.app.get(Keyring).signingKey(b.name);
    const alice = await clientRequest(a, 'POST', '/_matrix/client/v3/register', {
      username: 'fuzz',
      password: 'correct horse',
      auth: { type: 'm.login.dummy' },
    });
    token = alice.body.access_token as string;
    const roomId = (
      await clientRequest(
        a,
        'POST',
        '/_matrix/client/v3/createRoom',
        { preset: 'public_chat', room_alias_name: 'fuzz' },
        token,
      )
    ).body.room_id as string;
    const sent = await clientRequest(
      a,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/first`,
      { msgtype: 'm.text', body: 'before the fuzz' },
      token,
    );
    // A member from the other server, so signed federation requests about the room get past "not in the room".
    const bob = await clientRequest(b, 'POST', '/_matrix/client/v3/register', {
      username: 'bob',
      password: 'correct horse',
      auth: { type: 'm.login.dummy' },
    });
    const joined = await clientRequest(
      b,
      'POST',
      `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.name)}`,
      {},
      bob.body.access_token as string,
    );
    expect(joined.status).toBe(200);
    known = {
      userId: alice.body.user_id as string,
      deviceId: alice.body.device_id as string,
      roomId,
      roomAlias: `#fuzz:${a.name}`,
      eventId: sent.body.event_id as string,
      serverName: a.name,
    };
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await Promise.all([a?.close(), b?.close()]);
  });

  /** B's X-Matrix signature over the request; over no content when the body has no canonical JSON form (floats, huge integers), which A must refuse anyway. */
  function signedByB(fuzz: FuzzRequest): string {
    const request = { method: fuzz.method, uri: fuzz.path, origin: b.name, destination: a.name };
    try {
      return authorizationHeader(
        { ...request, ...(fuzz.json !== undefined ? { content: fuzz.json as never } : {}) },
        bKey,
      );
    } catch {
      return authorizationHeader(request, bKey);
    }
  }

  function send(fuzz: FuzzRequest): Promise<Answer> {
    const auth = !fuzz.authenticated
      ? {}
      : fuzz.operation.api === 'client-server'
        ? { authorization: `Bearer ${token}` }
        : fuzz.operation.signed
          ? { authorization: signedByB(fuzz) }
          : {};
    const url = new URL(a.url);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: fuzz.method,
          path: fuzz.path,
          timeout: REQUEST_TIMEOUT_MS,
          headers: {
            host: a.name,
            'content-type': fuzz.contentType,
            ...auth,
            ...(fuzz.body ? { 'content-length': fuzz.body.length } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      outgoing.on('error', reject);
      outgoing.end(fuzz.body);
    });
  }

  it('answers every request with a status below 500 and keeps working', async () => {
    const operations = [...spec.operations('client-server'), ...spec.operations('server-server')].sort(
      (x, y) => Number(ENDS_SESSION.test(x.path)) - Number(ENDS_SESSION.test(y.path)),
    );
    const fastify = a.app.getHttpAdapter().getInstance();
    const isServed = (o: Operation) =>
      fastify.hasRoute({ method: o.method as 'GET', url: o.path.replace(/\{([^}]+)\}/g, ':$1') });
    const requests = operations.flatMap((operation, i) =>
      fc.sample(requestArbitrary(spec, operation, known), {
        seed: SEED + i,
        numRuns: isServed(operation) ? RUNS : Math.ceil(RUNS / 5),
      }),
    );
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const fuzz = requests[next++];
        const described = `${fuzz.method} ${fuzz.operation.path} [${fuzz.variant}] ${fuzz.path.slice(0, 200)} body: ${fuzz.body?.subarray(0, 200).toString() ?? '(none)'}`;
        try {
          const answer = await send(fuzz);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status >= 500 && !upstreamFailure(answer))
            failures.push(`${answer.status} ${answer.body.slice(0, 200)} <- ${described}`);
        } catch (e) {
          failures.push(`${(e as Error).message} <- ${described}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const routes = new Set(requests.map((r) => `${r.method} ${r.operation.path}`));
    const served = new Set(operations.filter(isServed).map((o) => `${o.method} ${o.path}`));
    const perApi = (api: Operation['api']) => operations.filter((o) => o.api === api).length;
    console.log(
      `fuzz: seed ${SEED}, ${RUNS} runs per served operation: ${requests.length} requests to ${routes.size} routes ` +
        `(${perApi('client-server')} client-server and ${perApi('server-server')} server-server operations), ${served.size} of them served here; ` +
        `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([x], [y]) => x - y)))}`,
    );
    expect(failures).toEqual([]);
    // The server runs in this process: a body that polluted Object.prototype would show here.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // The server is still up and serving: a new user sends a message and reads it back.
    const carol = await clientRequest(a, 'POST', '/_matrix/client/v3/register', {
      username: 'after-fuzz',
      password: 'correct horse',
      auth: { type: 'm.login.dummy' },
    });
    const carolToken = carol.body.access_token as string;
    const roomId = (await clientRequest(a, 'POST', '/_matrix/client/v3/createRoom', {}, carolToken)).body
      .room_id as string;
    const sent = await clientRequest(
      a,
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/after`,
      { msgtype: 'm.text', body: 'still here' },
      carolToken,
    );
    const read = await clientRequest(
      a,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(sent.body.event_id as string)}`,
      undefined,
      carolToken,
    );
    expect(read).toMatchObject({ status: 200, body: { content: { body: 'still here' } } });
  }, 300_000);
});
