import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helmBinary } from '../support/helm';
import { kubeBinaries, startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';

const helm = helmBinary();
const kube = kubeBinaries();
if (!helm || !kube)
  process.stderr.write(
    'helm-install.spec: SKIPPED, needs helm (LATTICE_HELM) and etcd + kube-apiserver (LATTICE_ETCD, LATTICE_KUBE_APISERVER)\n',
  );
const describeWithCluster = helm && kube ? describe : describe.skip;

const CHART = join(__dirname, '../../helm/lattice');

/**
 * `helm install` of the chart into a real kube-apiserver (server-side
 * validation, admission with Pod Security "restricted" enforced on the
 * namespace), with default values and with two tenants and more replicas.
 */
describeWithCluster('helm install into a Kubernetes API server', () => {
  let cluster: KubeApiServer;
  const run = (args: string[]) => spawnSync(helm!, [...args, '--kubeconfig', cluster.kubeconfig], { encoding: 'utf8' });

  beforeAll(async () => {
    cluster = await startKubeApiServer(kube!);
  }, 180_000);
  afterAll(async () => cluster?.stop());

  /** A namespace enforcing the restricted Pod Security Standard, made with a one-template chart (helm applies charts, not files). */
  function restrictedNamespace(name: string): void {
    const chart = mkdtempSync(join(tmpdir(), 'lattice-ns-chart-'));
    mkdirSync(join(chart, 'templates'));
    writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: ns\nversion: 0.0.1\n');
    writeFileSync(
      join(chart, 'templates', 'ns.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
      }),
    );
    const result = run(['install', `ns-${name}`, chart]);
    if (result.status !== 0) throw new Error(result.stderr);
  }

  // No controller or kubelet runs here, so the pre-install Job would never complete: installs skip hooks, and the
  // hook objects are checked on their own below (server-side dry run, Pod Security admission included).
  it('installs with default values, the LatticeTenant CRD included', async () => {
    restrictedNamespace('lattice-default');
    const result = run(['install', 'default', CHART, '--namespace', 'lattice-default', '--no-hooks']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const deployments = await cluster.get('/apis/apps/v1/namespaces/lattice-default/deployments');
    expect(deployments.body.items.map((d: { metadata: { name: string } }) => d.metadata.name).sort()).toEqual([
      'default-lattice-appservice',
      'default-lattice-client-api',
      'default-lattice-federation-api',
      'default-lattice-media',
      'default-lattice-push',
      'default-lattice-room-server',
      'default-lattice-sync',
    ]);
    const crd = await cluster.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/latticetenants.lattice.dev');
    expect(crd.status).toBe(200);
  });

  it('admits the pre-install Job, its hook Secret and its pod under the restricted Pod Security Standard', async () => {
    const rendered = run([
      'template',
      'default',
      CHART,
      '--namespace',
      'lattice-default',
      '--show-only',
      'templates/prepare-job.yaml',
    ]);
    expect(rendered.status).toBe(0);
    const objects = (loadAll(rendered.stdout) as Array<{ kind: string; spec?: any } | null>).filter((o) => o !== null);
    expect(objects.map((o) => o.kind)).toEqual(['Secret', 'Job']);
    const job = objects[1]!;
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'prepare-pod' }, spec: job.spec.template.spec };
    for (const [path, body] of [
      ['/api/v1/namespaces/lattice-default/secrets', objects[0]],
      ['/apis/batch/v1/namespaces/lattice-default/jobs', job],
      ['/api/v1/namespaces/lattice-default/pods', pod],
    ] as const) {
      const answer = await cluster.post(`${path}?dryRun=All`, body);
      expect({ path, status: answer.status, message: answer.body.message }).toEqual({
        path,
        status: 201,
        message: undefined,
      });
    }
    // The same pod without its security context is refused: the namespace's Pod Security admission is really on.
    const loose = {
      ...pod,
      spec: {
        ...pod.spec,
        securityContext: {},
        containers: pod.spec.containers.map((c: object) => ({ ...c, securityContext: {} })),
      },
    };
    const refused = await cluster.post('/api/v1/namespaces/lattice-default/pods?dryRun=All', loose);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/violates PodSecurity "restricted/);
  });

  it('admits the hook Job that creates missing secrets, with its ServiceAccount, Role and RoleBinding', async () => {
    const values = join(mkdtempSync(join(tmpdir(), 'lattice-values-')), 'values.json');
    writeFileSync(values, JSON.stringify({ adminToken: { secretName: 'lattice-generated', key: 'admin' } }));
    const rendered = run([
      'template',
      'default',
      CHART,
      '--namespace',
      'lattice-default',
      '-f',
      values,
      '--show-only',
      'templates/prepare-job.yaml',
    ]);
    expect(rendered.status).toBe(0);
    const objects = (loadAll(rendered.stdout) as Array<{ kind: string; spec?: any } | null>).filter((o) => o !== null);
    const paths: Record<string, string> = {
      ServiceAccount: '/api/v1/namespaces/lattice-default/serviceaccounts',
      Role: '/apis/rbac.authorization.k8s.io/v1/namespaces/lattice-default/roles',
      RoleBinding: '/apis/rbac.authorization.k8s.io/v1/namespaces/lattice-default/rolebindings',
      Secret: '/api/v1/namespaces/lattice-default/secrets',
      Job: '/apis/batch/v1/namespaces/lattice-default/jobs',
    };
    expect(objects.map((o) => o.kind).sort()).toEqual(['Job', 'Role', 'RoleBinding', 'Secret', 'ServiceAccount']);
    const job = objects.find((o) => o.kind === 'Job')!;
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'prepare-pod' }, spec: job.spec.template.spec };
    for (const [path, body] of [
      ...objects.map((o) => [paths[o.kind]!, o] as const),
      ['/api/v1/namespaces/lattice-default/pods', pod] as const,
    ]) {
      const answer = await cluster.post(`${path}?dryRun=All`, body);
      expect({ path, status: answer.status, message: answer.body.message }).toEqual({
        path,
        status: 201,
        message: undefined,
      });
    }
  });

  it('installs two tenants with more replicas, the operator and federation on 8448, and creates the helm test pod', async () => {
    restrictedNamespace('lattice-two');
    const values = join(mkdtempSync(join(tmpdir(), 'lattice-values-')), 'values.json');
    writeFileSync(
      values,
      JSON.stringify({
        tenants: [
          { serverName: 'one.example', publicBaseUrl: 'https://matrix.one.example', hostnames: ['chat.one.example'] },
          { serverName: 'two.example', publicBaseUrl: 'https://matrix.two.example' },
        ],
        postgresUrl: { secretName: 'lattice-db', key: 'url' },
        roles: { 'room-server': { replicas: 4, resources: {} }, 'federation-api': { replicas: 3, resources: {} } },
        adminToken: { secretName: 'lattice-admin', key: 'token' },
        operator: { enabled: true },
        federationPort: { enabled: true, tlsSecretName: 'federation-tls' },
      }),
    );
    const install = run(['install', 'two', CHART, '--namespace', 'lattice-two', '-f', values, '--no-hooks']);
    expect(install.stderr).toBe('');
    expect(install.status).toBe(0);
    const ingresses = await cluster.get('/apis/networking.k8s.io/v1/namespaces/lattice-two/ingresses');
    const items = ingresses.body.items as Array<{
      metadata: { name: string };
      spec: { rules: Array<{ host: string }> };
    }>;
    expect([...new Set(items.flatMap((i) => i.spec.rules.map((r) => r.host)))].sort()).toEqual([
      'chat.one.example',
      'matrix.one.example',
      'matrix.two.example',
      'one.example',
      'two.example',
    ]);
    expect(items.map((i) => i.metadata.name).sort()).toEqual([
      'two-lattice',
      'two-lattice-sessions',
      'two-lattice-well-known',
    ]);
    // No kubelet runs the pod: helm test times out, but the API server has admitted the pod.
    run(['test', 'two', '--namespace', 'lattice-two', '--timeout', '3s']);
    expect((await cluster.get('/api/v1/namespaces/lattice-two/pods/two-lattice-test-api')).status).toBe(200);
  });
});
