import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdminCommand } from '../../tools/admin/admin-cli';
import { writeRegistration } from '../support/appservice-registration';
import { HostClient } from '../support/host-client';
import { startEmbeddedServer } from '../support/embedded-server';

/** The admin CLI drives the same API: a tenant created from the command line is served at once. */
describe('admin CLI', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let env: Parameters<typeof runAdminCommand>[1];

  beforeAll(async () => {
    server = await startEmbeddedServer({
      tenants: [{ serverName: 'one.test' }, { serverName: 'two.test' }],
      admin: { registrationSharedSecret: 'cli-secret', operatorToken: 'cli-operator-token-0123456789' },
    });
    env = { url: server.url, operatorToken: 'cli-operator-token-0123456789', sharedSecret: 'cli-secret' };
  }, 60_000);
  afterAll(async () => server.close());

  it('creates a tenant, registers its first admin, and that admin uses the admin API', async () => {
    const created = await runAdminCommand(
      ['tenants', 'create', 'cli.test', '--hostname', 'chat.cli.test', '--registration', 'token'],
      env,
    );
    expect(created).toMatchObject({
      status: 201,
      body: { server_name: 'cli.test', hostnames: ['chat.cli.test'], registration: { mode: 'token' } },
    });
    const registered = await runAdminCommand(['register', 'cli.test', 'boss', '--password', 'pw', '--admin'], env);
    expect(registered).toMatchObject({ status: 200, body: { user_id: '@boss:cli.test' } });
    const users = await runAdminCommand(['api', 'chat.cli.test', 'GET', '/_synapse/admin/v2/users'], {
      ...env,
      accessToken: (registered.body as { access_token: string }).access_token,
    });
    expect(users.body).toMatchObject({ total: 1, users: [{ name: '@boss:cli.test', admin: true }] });
  });

  it('disables a tenant', async () => {
    await runAdminCommand(['tenants', 'create', 'brief.test', '--registration', 'open'], env);
    expect((await runAdminCommand(['tenants', 'disable', 'brief.test'], env)).body).toMatchObject({ disabled: true });
    expect(
      (await new HostClient(server.url, 'brief.test').client(undefined, 'GET', '/register/available?username=x'))
        .status,
    ).toBe(404);
  });

  it("sets a tenant's operator-managed registration tokens from files", async () => {
    await runAdminCommand(['tenants', 'create', 'tokens.test', '--registration', 'token'], env);
    const file = join(mkdtempSync(join(tmpdir(), 'lattice-cli-token-')), 'token');
    writeFileSync(file, 'from-a-file\n');
    expect((await runAdminCommand(['tenants', 'tokens', 'tokens.test', file], env)).body).toEqual({
      added: 1,
      removed: 0,
    });
    const validity = () =>
      new HostClient(server.url, 'tokens.test').request(
        undefined,
        'GET',
        '/_matrix/client/v1/register/m.login.registration_token/validity?token=from-a-file',
      );
    expect((await validity()).body).toEqual({ valid: true });
    expect((await runAdminCommand(['tenants', 'tokens', 'tokens.test'], env)).body).toEqual({ added: 0, removed: 1 });
    expect((await validity()).body).toEqual({ valid: false });
  });

  it('adds an application service from its registration file, lists it and removes it', async () => {
    const registration = writeRegistration({ id: 'cli-bridge', url: null, prefix: '_cli_' });
    expect(await runAdminCommand(['appservices', 'add', 'one.test', registration.path], env)).toMatchObject({
      status: 200,
      body: { id: 'cli-bridge', sender: '@_cli_bot:one.test' },
    });
    expect((await runAdminCommand(['appservices', 'list', 'one.test'], env)).body).toMatchObject({
      appservices: [{ id: 'cli-bridge', source: 'database' }],
    });
    expect((await runAdminCommand(['appservices', 'remove', 'one.test', 'cli-bridge'], env)).status).toBe(200);
  });
});
