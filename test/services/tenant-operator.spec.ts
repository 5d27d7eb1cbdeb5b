import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  OperatorModule,
  TENANT_GROUP,
  TENANT_PLURAL,
  TENANT_VERSION,
  type LatticeTenant,
} from '../../libs/operator/src';
import { startEmbeddedServer } from '../support/embedded-server';
import { HostClient } from '../support/host-client';
import { kubeBinaries, startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';

const kube = kubeBinaries();
if (!kube)
  process.stderr.write(
    'tenant-operator.spec: SKIPPED, needs etcd + kube-apiserver (LATTICE_ETCD, LATTICE_KUBE_APISERVER)\n',
  );
const describeWithCluster = kube ? describe : describe.skip;

const OPERATOR_TOKEN = 'operator-token-for-the-tenant-operator-test';
const NAMESPACE = 'default';
const CRD = join(__dirname, '../../helm/lattice/crds/latticetenants.yaml');

/**
 * The LatticeTenant operator against a real kube-apiserver and a running
 * Lattice: the chart's CRD installed, then a LatticeTenant created, changed
 * and deleted through the Kubernetes API; the running server serves the new
 * server name, then its new host, then stops serving it, without a restart.
 */
describeWithCluster('the LatticeTenant operator', () => {
  let cluster: KubeApiServer;
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let operator: INestApplicationContext;
  let k8s: typeof import('@kubernetes/client-node');
  let objects: import('@kubernetes/client-node').CustomObjectsApi;

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    cluster = await startKubeApiServer(kube!);
    const config = new k8s.KubeConfig();
    config.loadFromFile(cluster.kubeconfig);
    const crds = config.makeApiClient(k8s.ApiextensionsV1Api);
    // loadYaml maps the file's keys (x-kubernetes-validations...) onto the client's typed model; a plain parse would lose them.
    await crds.createCustomResourceDefinition({ body: k8s.loadYaml(readFileSync(CRD, 'utf8')) });
    await eventually(async () => {
      const crd = await crds.readCustomResourceDefinition({ name: `${TENANT_PLURAL}.${TENANT_GROUP}` });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
    objects = config.makeApiClient(k8s.CustomObjectsApi);
    server = await startEmbeddedServer({
      // Two configured tenants: with one, every unknown Host would fall back to it.
      tenants: [{ serverName: 'base.test' }, { serverName: 'other.test', hostnames: ['chat.other.test'] }],
      admin: { operatorToken: OPERATOR_TOKEN, tenantPollMs: 60_000 },
    });
    operator = await NestFactory.createApplicationContext(
      OperatorModule.forRoot({
        adminUrl: server.url,
        adminToken: OPERATOR_TOKEN,
        namespace: NAMESPACE,
        kubeconfig: cluster.kubeconfig,
        retryMs: 200,
      }),
      { logger: false },
    );
    await operator.init();
  }, 180_000);
  afterAll(async () => {
    await operator?.close();
    await server?.close();
    await cluster?.stop();
  });

  const target = (name: string) => ({
    group: TENANT_GROUP,
    version: TENANT_VERSION,
    namespace: NAMESPACE,
    plural: TENANT_PLURAL,
    name,
  });
  const read = async (name: string) => (await objects.getNamespacedCustomObject(target(name))) as LatticeTenant;
  const patch = (name: string, body: unknown) =>
    objects.patchNamespacedCustomObject(
      { ...target(name), body },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  const create = (name: string, spec: LatticeTenant['spec']) =>
    objects.createNamespacedCustomObject({
      group: TENANT_GROUP,
      version: TENANT_VERSION,
      namespace: NAMESPACE,
      plural: TENANT_PLURAL,
      body: { apiVersion: `${TENANT_GROUP}/${TENANT_VERSION}`, kind: 'LatticeTenant', metadata: { name }, spec },
    });
  const ready = async (name: string) => (await read(name)).status?.conditions?.find((c) => c.type === 'Ready');
  /** The server name a Host is served as, from the server's own key document; undefined when no tenant has that host. */
  const servedAs = async (host: string) => {
    const answer = await new HostClient(server.url, host).request(undefined, 'GET', '/_matrix/key/v2/server');
    return answer.status === 200 ? (answer.body.server_name as string) : undefined;
  };

  it('serves a LatticeTenant once it is created, and says so in its Ready condition', async () => {
    expect(await servedAs('fresh.test')).toBeUndefined();
    await create('fresh', { serverName: 'fresh.test', hostnames: ['chat.fresh.test'], registration: { mode: 'open' } });
    await eventually(async () => (await ready('fresh'))?.status === 'True');
    expect(await servedAs('fresh.test')).toBe('fresh.test');
    expect(await servedAs('chat.fresh.test')).toBe('fresh.test');
    const fresh = await read('fresh');
    expect(fresh.metadata.finalizers).toContain('lattice.dev/disable-tenant');
    expect(fresh.status).toMatchObject({ observedGeneration: fresh.metadata.generation });
    const register = await new HostClient(server.url, 'fresh.test').request(
      undefined,
      'POST',
      '/_matrix/client/v3/register',
      {
        username: 'first',
        password: 'a long enough password',
        auth: { type: 'm.login.dummy' },
      },
    );
    expect(register.body).toMatchObject({ user_id: '@first:fresh.test' });
  });

  it('serves a changed spec: a new host, registration closed', async () => {
    await patch('fresh', { spec: { hostnames: ['talk.fresh.test'], registration: { mode: 'closed' } } });
    await eventually(async () => (await servedAs('talk.fresh.test')) === 'fresh.test');
    expect(await servedAs('chat.fresh.test')).toBeUndefined();
    const register = await new HostClient(server.url, 'fresh.test').request(
      undefined,
      'POST',
      '/_matrix/client/v3/register',
      {
        username: 'second',
        password: 'a long enough password',
        auth: { type: 'm.login.dummy' },
      },
    );
    expect(register.body).toMatchObject({ errcode: 'M_FORBIDDEN' });
    await eventually(
      async () => (await read('fresh')).status?.observedGeneration === (await read('fresh')).metadata.generation,
    );
  });

  it('refuses to change a server name (the CRD says it is fixed)', async () => {
    await expect(patch('fresh', { spec: { serverName: 'renamed.test' } })).rejects.toMatchObject({ code: 422 });
  });

  it("reports the tenants API's refusal of a host another tenant has, and serves nothing of it", async () => {
    await create('thief', { serverName: 'thief.test', hostnames: ['chat.other.test'] });
    await eventually(async () => (await ready('thief'))?.reason === 'Rejected');
    expect((await ready('thief'))!.message).toMatch(/^M_INVALID_PARAM: .*chat.other.test/);
    expect(await servedAs('thief.test')).toBeUndefined();
    expect(await servedAs('chat.other.test')).toBe('other.test');
  });

  it('disables the tenant when its LatticeTenant is deleted, then lets the object go', async () => {
    await objects.deleteNamespacedCustomObject(target('fresh'));
    await eventually(async () => (await servedAs('fresh.test')) === undefined);
    await eventually(
      async () =>
        await read('fresh').then(
          () => false,
          (e: { code?: number }) => e.code === 404,
        ),
    );
    expect(await servedAs('talk.fresh.test')).toBeUndefined();
  });
});

/** Polls until `check` holds (the operator and the API server act asynchronously). */
async function eventually(check: () => Promise<boolean | undefined>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
