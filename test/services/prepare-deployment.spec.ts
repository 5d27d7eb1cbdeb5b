import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { servicesEnv } from '../support/services-env';

const ENTRY = join(__dirname, '../../dist/apps/homeserver/src/prepare-deployment.js');

/**
 * The chart's pre-install/pre-upgrade Job (helm/lattice/templates/prepare-job.yaml), run as the Job runs it
 * (its compiled entry, the Job's environment) against real Postgres: it names missing secrets, migrates,
 * and refuses a bus.partitions other than the one the deployment was set up with.
 */
describe('the prepare-deployment Job', () => {
  const env = servicesEnv();
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createScratchDatabase(env.postgresUrl, 'lattice_prepare');
  });
  afterAll(async () => dropScratchDatabase(databaseUrl));

  const run = (extra: Record<string, string>) => {
    const result = spawnSync(process.execPath, [ENTRY], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, LATTICE_SERVER_NAME: 'prepare.test', LATTICE_LOG_FORMAT: 'json', ...extra },
    });
    return { status: result.status, log: result.stdout + result.stderr };
  };

  it('fails naming each missing secret and where the chart looked for it', () => {
    const result = run({
      LATTICE_NATS_URL: env.natsUrl,
      LATTICE_REQUIRED_SECRETS: JSON.stringify([
        { env: 'LATTICE_DATABASE_URL', source: 'Secret lattice-db, key url (value postgresUrl)' },
      ]),
    });
    expect(result.status).toBe(1);
    expect(result.log).toContain(
      'Missing secrets: LATTICE_DATABASE_URL from Secret lattice-db, key url (value postgresUrl)',
    );
  });

  it('migrates the database and records bus.partitions, then accepts the same count again', () => {
    const job = { LATTICE_DATABASE_URL: databaseUrl, LATTICE_NATS_URL: env.natsUrl, LATTICE_BUS_PARTITIONS: '16' };
    expect(run(job)).toMatchObject({ status: 0 });
    const again = run(job);
    expect(again.status).toBe(0);
    expect(again.log).toContain('bus.partitions is 16, as recorded');
  });

  it('refuses an upgrade that changes bus.partitions', () => {
    const result = run({
      LATTICE_DATABASE_URL: databaseUrl,
      LATTICE_NATS_URL: env.natsUrl,
      LATTICE_BUS_PARTITIONS: '32',
    });
    expect(result.status).toBe(1);
    expect(result.log).toContain('bus.partitions is 32 but this deployment was set up with 16');
  });
});
