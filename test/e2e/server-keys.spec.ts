import nacl from 'tweetnacl';
import { canonicalJson } from '../../libs/protocol/src';
import { startEmbeddedServer } from '../support/embedded-server';

/** GET /_matrix/key/v2/server as another server reads it (server-server-api "Publishing Keys"). */
describe('published server keys', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let text: string;
  let body: {
    server_name: string;
    verify_keys: Record<string, { key: string }>;
    signatures: Record<string, Record<string, string>>;
  };

  beforeAll(async () => {
    server = await startEmbeddedServer();
    text = await (await fetch(`${server.url}/_matrix/key/v2/server`)).text();
    body = JSON.parse(text) as typeof body;
  }, 60_000);
  afterAll(async () => server.close());

  it('is sent as its canonical JSON, so the body less its signatures is exactly what was signed', () =>
    expect(text).toBe(canonicalJson(body)));

  it('is signed by each of its verify keys (checked with tweetnacl)', () => {
    const { signatures, ...unsigned } = body;
    const message = Buffer.from(canonicalJson(unsigned));
    for (const [keyId, { key }] of Object.entries(body.verify_keys)) {
      const verified = nacl.sign.detached.verify(
        message,
        Buffer.from(signatures[body.server_name][keyId], 'base64'),
        Buffer.from(key, 'base64'),
      );
      expect(verified).toBe(true);
    }
  });
});
