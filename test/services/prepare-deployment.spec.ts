import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { helmBinary, renderChart } from '../support/helm';
import { kubeBinaries, startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';
import { servicesEnv } from '../support/services-env';

const ENTRY = join(__dirname, '../../dist/apps/homeserver/src/prepare-deployment.js');
const helm = helmBinary();
const kube = kubeBinaries();
if (!helm || !kube)
  process.stderr.write(
    'prepare-deployment.spec (secret creation): SKIPPED, needs helm and etcd + kube-apiserver (LATTICE_ETCD, LATTICE_KUBE_APISERVER)\n',
  );
const describeWithCluster = helm && kube ? describe : describe.skip;

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

/**
 * The same Job creating the generatable secrets it finds missing, in a real kube-apiserver, with the
 * ServiceAccount, Role and RoleBinding the chart renders for it and nothing more: its own token (a
 * TokenRequest) is what it writes with.
 */
describeWithCluster('the prepare-deployment Job creating missing secrets', () => {
  const env = servicesEnv();
  const NAMESPACE = 'matrix';
  let cluster: KubeApiServer;
  let databaseUrl: string;
  let jobEnv: Record<string, string>;

  beforeAll(async () => {
    cluster = await startKubeApiServer(kube!);
    databaseUrl = await createScratchDatabase(env.postgresUrl, 'lattice_prepare_secrets');
    const { objects, error } = renderChart(helm!, {
      registrationSharedSecret: { secretName: 'lattice-generated', key: 'registration' },
      adminToken: { secretName: 'lattice-generated', key: 'admin' },
    });
    if (error) throw new Error(error);
    await cluster.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    const paths: Record<string, string> = {
      ServiceAccount: `/api/v1/namespaces/${NAMESPACE}/serviceaccounts`,
      Role: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/roles`,
      RoleBinding: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings`,
    };
    const prepare = objects.filter((o) => o.metadata.name === 'test-lattice-prepare');
    for (const object of prepare.filter((o) => paths[o.kind])) {
      const created = await cluster.post(paths[object.kind]!, object);
      if (created.status !== 201) throw new Error(`${object.kind}: ${JSON.stringify(created.body)}`);
    }
    const job = prepare.find((o) => o.kind === 'Job')!;
    const token = await cluster.post(
      `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/${job.spec.template.spec.serviceAccountName}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    );
    const generated = (job.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>).find(
      (e) => e.name === 'LATTICE_GENERATED_SECRETS',
    )!.value!;
    jobEnv = {
      LATTICE_GENERATED_SECRETS: generated,
      LATTICE_NAMESPACE: NAMESPACE,
      KUBECONFIG: cluster.kubeconfigFor(token.body.status.token),
      LATTICE_DATABASE_URL: databaseUrl,
      LATTICE_NATS_URL: env.natsUrl,
      LATTICE_BUS_PARTITIONS: '16',
    };
  }, 180_000);
  afterAll(async () => {
    if (databaseUrl) await dropScratchDatabase(databaseUrl);
    await cluster?.stop();
  });

  const run = () => {
    const result = spawnSync(process.execPath, [ENTRY], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, LATTICE_SERVER_NAME: 'prepare.test', LATTICE_LOG_FORMAT: 'json', ...jobEnv },
    });
    return { status: result.status, log: result.stdout + result.stderr };
  };
  const secretData = async () =>
    (await cluster.get(`/api/v1/namespaces/${NAMESPACE}/secrets/lattice-generated`)).body.data as Record<
      string,
      string
    >;

  it('creates the missing Secret with a random value for each key, without logging them', async () => {
    const result = run();
    expect(result).toMatchObject({ status: 0 });
    const data = await secretData();
    expect(Object.keys(data).sort()).toEqual(['admin', 'registration']);
    const values = Object.values(data).map((v) => Buffer.from(v, 'base64').toString());
    for (const value of values) {
      expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(result.log).not.toContain(value);
    }
    expect(values[0]).not.toBe(values[1]);
    expect(result.log).toContain('Created Secret lattice-generated, key registration (registrationSharedSecret)');
  });

  it('keeps existing values on the next upgrade', async () => {
    const before = await secretData();
    expect(run()).toMatchObject({ status: 0 });
    expect(await secretData()).toEqual(before);
  });

  it('adds a key missing from an existing Secret and leaves the others alone', async () => {
    const before = await secretData();
    jobEnv.LATTICE_GENERATED_SECRETS = JSON.stringify([
      { setting: 'registrationSharedSecret', secretName: 'lattice-generated', key: 'registration' },
      { setting: 'adminToken', secretName: 'lattice-generated', key: 'operator' },
    ]);
    const result = run();
    expect(result).toMatchObject({ status: 0 });
    const after = await secretData();
    expect(after).toMatchObject(before);
    expect(Buffer.from(after.operator!, 'base64').toString()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.log).toContain('Added Secret lattice-generated, key operator (adminToken)');
  });

  it('may not read any other Secret with its token', async () => {
    await cluster.post(`/api/v1/namespaces/${NAMESPACE}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'someone-elses' },
      stringData: { key: 'value' },
    });
    jobEnv.LATTICE_GENERATED_SECRETS = JSON.stringify([
      { setting: 'adminToken', secretName: 'someone-elses', key: 'token' },
    ]);
    const result = run();
    expect(result.status).toBe(1);
    expect(result.log).toMatch(/forbidden/i);
  });
});
