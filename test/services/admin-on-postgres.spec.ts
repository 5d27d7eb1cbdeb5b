import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { startEmbeddedServer } from '../support/embedded-server';
import { HostClient } from '../support/host-client';
import { servicesEnv } from '../support/services-env';

const SECRET = 'shared-secret-for-the-postgres-admin-test';
const OPERATOR = 'operator-token-for-the-postgres-admin-test';

/**
 * The admin writes whose SQL is Lattice's own (media download times written
 * in one statement, operator-managed registration tokens replaced as a set)
 * on real Postgres; test/e2e/admin-api.spec.ts covers them on the embedded
 * database.
 */
describe('admin API writes on Postgres', () => {
  const env = servicesEnv();
  let databaseUrl: string;
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let hs: HostClient;
  let admin: { userId: string; token: string };

  beforeAll(async () => {
    databaseUrl = await createScratchDatabase(env.postgresUrl, 'lattice_admin_pg');
    server = await startEmbeddedServer({
      database: { kind: 'postgres', url: databaseUrl },
      tenants: [{ serverName: 'pg.test' }, { serverName: 'other.test' }],
      admin: { registrationSharedSecret: SECRET, operatorToken: OPERATOR, tenantPollMs: 60_000 },
    });
    hs = new HostClient(server.url, 'pg.test');
    admin = await hs.registerWithSecret(SECRET, 'root', { admin: true });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (databaseUrl) await dropScratchDatabase(databaseUrl);
  });

  it('keeps media downloaded after the date when deleting by date (the download time was written)', async () => {
    const upload = async (name: string) =>
      (
        (await hs.request(admin.token, 'POST', `/_matrix/media/v3/upload?filename=${name}`, { file: name })).body
          .content_uri as string
      )
        .split('/')
        .pop()!;
    const [downloaded, idle] = [await upload('downloaded.json'), await upload('idle.json')];
    await new Promise((resolve) => setTimeout(resolve, 5));
    const beforeTs = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const download = await hs.request(admin.token, 'GET', `/_matrix/client/v1/media/download/pg.test/${downloaded}`);
    expect(download.status).toBe(200);

    const deleted = await hs.request(admin.token, 'POST', `/_synapse/admin/v1/media/delete?before_ts=${beforeTs}`, {});
    expect(deleted.body).toEqual({ deleted_media: [idle], total: 1 });
  });

  it("replaces the operator's registration tokens as a set", async () => {
    const put = (tokens: string[]) =>
      hs.request(OPERATOR, 'PUT', '/_lattice/admin/v1/tenants/pg.test/registration_tokens', { tokens });
    expect((await put(['first', 'second'])).body).toEqual({ added: 2, removed: 0 });
    expect((await put(['second', 'third'])).body).toEqual({ added: 1, removed: 1 });
    const listed = await hs.request(admin.token, 'GET', '/_synapse/admin/v1/registration_tokens');
    expect((listed.body.registration_tokens as Array<{ token: string }>).map((t) => t.token)).toEqual([
      'second',
      'third',
    ]);
  });
});
