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
import { helmBinary, renderChart } from '../support/helm';
import { kubeBinaries, startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';

const kube = kubeBinaries();
const helm = helmBinary();
if (!kube || !helm)
  process.stderr.write(
    'tenant-operator.spec: SKIPPED, needs helm (LATTICE_HELM) and etcd + kube-apiserver (LATTICE_ETCD, LATTICE_KUBE_APISERVER)\n',
  );
const describeWithCluster = kube && helm ? describe : describe.skip;

const OPERATOR_TOKEN = 'operator-token-for-the-tenant-operator-test';
const NAMESPACE = 'default';
const CRD = join(__dirname, '../../helm/lattice/crds/latticetenants.yaml');
/** The Gateway API's own HTTPRoute CRD (a bare kube-apiserver has none): HTTPRoutes are validated by its real schema. */
const HTTP_ROUTE_CRD = join(__dirname, '../fixtures/gateway-api/gateway.networking.k8s.io_httproutes.yaml');
const SERVICE_PREFIX = 'rel-lattice';

/**
 * The LatticeTenant operator against a real kube-apiserver and a running
 * Lattice: the chart's CRD installed, then a LatticeTenant created, changed
 * and deleted through the Kubernetes API; the running server serves the new
 * server name, then its new host, then stops serving it, without a restart;
 * the tenant's Ingresses and HTTPRoutes in the API server follow its hosts,
 * and its registration token follows a Secret.
 */
describeWithCluster('the LatticeTenant operator', () => {
  let cluster: KubeApiServer;
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let operator: INestApplicationContext;
  let k8s: typeof import('@kubernetes/client-node');
  let objects: import('@kubernetes/client-node').CustomObjectsApi;
  let core: import('@kubernetes/client-node').CoreV1Api;

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    cluster = await startKubeApiServer(kube!);
    const config = new k8s.KubeConfig();
    config.loadFromFile(cluster.kubeconfig);
    const crds = config.makeApiClient(k8s.ApiextensionsV1Api);
    for (const file of [CRD, HTTP_ROUTE_CRD]) {
      // loadYaml maps the file's keys (x-kubernetes-validations...) onto the client's typed model; a plain parse would lose them.
      const body = k8s.loadYaml<import('@kubernetes/client-node').V1CustomResourceDefinition>(
        readFileSync(file, 'utf8'),
      );
      await crds.createCustomResourceDefinition({ body });
      await eventually(async () => {
        const crd = await crds.readCustomResourceDefinition({ name: body.metadata!.name! });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      });
    }
    objects = config.makeApiClient(k8s.CustomObjectsApi);
    core = config.makeApiClient(k8s.CoreV1Api);
    const operatorToken = await operatorServiceAccountToken();
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
        // The chart's own ServiceAccount and Role: the operator can do its work with what the chart grants.
        kubeconfig: cluster.kubeconfigFor(operatorToken),
        retryMs: 200,
        routes: {
          servicePrefix: SERVICE_PREFIX,
          ingress: { className: 'nginx', tlsSecretName: 'tenants-tls' },
          gatewayApi: { parentRefs: [{ name: 'public', namespace: 'gateway' }] },
          wellKnown: true,
        },
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

  /** The chart's operator ServiceAccount, Role and RoleBinding created in the namespace, and a token of that ServiceAccount. */
  async function operatorServiceAccountToken(): Promise<string> {
    const { objects: rendered, error } = renderChart(helm!, {
      adminToken: { value: OPERATOR_TOKEN },
      operator: { enabled: true },
      gatewayApi: { enabled: true, parentRefs: [{ name: 'public' }] },
    });
    if (error) throw new Error(error);
    const paths: Record<string, string> = {
      ServiceAccount: `/api/v1/namespaces/${NAMESPACE}/serviceaccounts`,
      Role: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/roles`,
      RoleBinding: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings`,
    };
    const operatorObjects = rendered.filter((o) => o.metadata.name === 'test-lattice-operator' && paths[o.kind]);
    expect(operatorObjects.map((o) => o.kind).sort()).toEqual(['Role', 'RoleBinding', 'ServiceAccount']);
    for (const object of operatorObjects) {
      const body =
        object.kind === 'RoleBinding'
          ? { ...object, subjects: (object.subjects as object[]).map((s) => ({ ...s, namespace: NAMESPACE })) }
          : object;
      const created = await cluster.post(paths[object.kind]!, body);
      if (created.status !== 201) throw new Error(`${object.kind}: ${JSON.stringify(created.body)}`);
    }
    const token = await cluster.post(`/api/v1/namespaces/${NAMESPACE}/serviceaccounts/test-lattice-operator/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    return token.body.status.token as string;
  }

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
  const condition = async (name: string, type = 'Ready') =>
    (await read(name)).status?.conditions?.find((c) => c.type === type);
  const ready = (name: string) => condition(name);
  /** The hosts of a routing object in the API server; undefined when it does not exist. */
  const hostsOf = async (kind: 'Ingress' | 'HTTPRoute', name: string): Promise<string[] | undefined> => {
    const found = await (kind === 'Ingress'
      ? cluster.get(`/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/ingresses/${name}`)
      : cluster.get(`/apis/gateway.networking.k8s.io/v1/namespaces/${NAMESPACE}/httproutes/${name}`));
    if (found.status === 404) return undefined;
    return kind === 'Ingress'
      ? found.body.spec.rules.map((r: { host: string }) => r.host)
      : (found.body.spec.hostnames as string[]);
  };
  /** Token-authenticated registration (client-server-api "Token-authenticated registration"): the session, then the token. */
  const registerWithToken = async (host: string, username: string, token: string) => {
    const client = new HostClient(server.url, host);
    const body = { username, password: 'a long enough password' };
    const first = await client.request(undefined, 'POST', '/_matrix/client/v3/register', body);
    return client.request(undefined, 'POST', '/_matrix/client/v3/register', {
      ...body,
      auth: { type: 'm.login.registration_token', token, session: first.body.session },
    });
  };
  const setSecret = async (name: string, token: string) => {
    const body = { metadata: { name }, stringData: { token } };
    await core
      .replaceNamespacedSecret({ name, namespace: NAMESPACE, body })
      .catch(() => core.createNamespacedSecret({ namespace: NAMESPACE, body }));
  };
  /** The server name a Host is served as, from the server's own key document; undefined when no tenant has that host. */
  const servedAs = async (host: string) => {
    const answer = await new HostClient(server.url, host).request(undefined, 'GET', '/_matrix/key/v2/server');
    return answer.status === 200 ? (answer.body.server_name as string) : undefined;
  };

  it('serves a LatticeTenant once it is created, and says so in its Ready condition', async () => {
    expect(await servedAs('fresh.test')).toBeUndefined();
    await create('fresh', {
      serverName: 'fresh.test',
      publicBaseUrl: 'https://matrix.fresh.test',
      federationHost: 'matrix.fresh.test:443',
      hostnames: ['chat.fresh.test'],
      registration: { mode: 'open' },
    });
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

  it("puts its hosts in an Ingress and an HTTPRoute, and its server name's well-known in others", async () => {
    expect(await hostsOf('Ingress', `${SERVICE_PREFIX}-tenant-fresh`)).toEqual([
      'matrix.fresh.test',
      'chat.fresh.test',
    ]);
    expect(await hostsOf('HTTPRoute', `${SERVICE_PREFIX}-tenant-fresh`)).toEqual([
      'matrix.fresh.test',
      'chat.fresh.test',
    ]);
    expect(await hostsOf('Ingress', `${SERVICE_PREFIX}-tenant-fresh-well-known`)).toEqual(['fresh.test']);
    expect(await hostsOf('HTTPRoute', `${SERVICE_PREFIX}-tenant-fresh-well-known`)).toEqual(['fresh.test']);
    const ingress = await cluster.get(
      `/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/ingresses/${SERVICE_PREFIX}-tenant-fresh`,
    );
    expect(ingress.body.spec.rules[0].http.paths).toContainEqual({
      path: '/_matrix/client/',
      pathType: 'ImplementationSpecific',
      backend: { service: { name: `${SERVICE_PREFIX}-client-api`, port: { name: 'http' } } },
    });
    // The sync workers' paths in an Ingress of their own, whose session hash keeps each client on one worker.
    const sessions = await cluster.get(
      `/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/ingresses/${SERVICE_PREFIX}-tenant-fresh-sessions`,
    );
    expect(sessions.body.metadata.annotations['nginx.ingress.kubernetes.io/upstream-hash-by']).toBe(
      '$http_authorization$arg_access_token',
    );
    expect(sessions.body.spec.rules.map((r: { host: string }) => r.host)).toEqual([
      'matrix.fresh.test',
      'chat.fresh.test',
    ]);
    expect(sessions.body.spec.rules[0].http.paths).toContainEqual({
      path: '/_matrix/client/(r0|v3)/sync$',
      pathType: 'ImplementationSpecific',
      backend: { service: { name: `${SERVICE_PREFIX}-sync`, port: { name: 'http' } } },
    });
    expect(ingress.body.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'LatticeTenant', name: 'fresh', uid: (await read('fresh')).metadata.uid }),
    ]);
    expect(await condition('fresh', 'RoutesReady')).toMatchObject({ status: 'True', reason: 'Routed' });
  });

  it('answers the well-known delegation for its server-name domain', async () => {
    const domain = new HostClient(server.url, 'fresh.test');
    expect((await domain.request(undefined, 'GET', '/.well-known/matrix/server')).body).toEqual({
      'm.server': 'matrix.fresh.test:443',
    });
    expect((await domain.request(undefined, 'GET', '/.well-known/matrix/client')).body).toMatchObject({
      'm.homeserver': { base_url: 'https://matrix.fresh.test' },
    });
  });

  it('serves a changed spec: a new host, registration closed', async () => {
    await patch('fresh', { spec: { hostnames: ['talk.fresh.test'], registration: { mode: 'closed' } } });
    await eventually(async () => (await servedAs('talk.fresh.test')) === 'fresh.test');
    expect(await servedAs('chat.fresh.test')).toBeUndefined();
    // The operator applies its objects one after another: wait for the last of them.
    await eventually(async () =>
      (await hostsOf('HTTPRoute', `${SERVICE_PREFIX}-tenant-fresh`))?.includes('talk.fresh.test'),
    );
    expect(await hostsOf('Ingress', `${SERVICE_PREFIX}-tenant-fresh`)).toEqual([
      'matrix.fresh.test',
      'talk.fresh.test',
    ]);
    expect(await hostsOf('HTTPRoute', `${SERVICE_PREFIX}-tenant-fresh`)).toEqual([
      'matrix.fresh.test',
      'talk.fresh.test',
    ]);
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
    expect(await hostsOf('Ingress', `${SERVICE_PREFIX}-tenant-thief`)).toBeUndefined();
  });

  it('takes registration tokens from a Secret, waiting for it, and rotates them with it', async () => {
    await create('tokened', {
      serverName: 'tokened.test',
      registration: { tokenSecrets: [{ secretName: 'tokened-registration', key: 'token' }] },
    });
    await eventually(async () => (await condition('tokened', 'TokensReady'))?.reason === 'SecretMissing');
    expect((await ready('tokened'))!.message).toBe('Secret tokened-registration does not exist');

    await setSecret('tokened-registration', 'first-token');
    await eventually(async () => (await ready('tokened'))?.status === 'True');
    expect((await registerWithToken('tokened.test', 'ada', 'first-token')).body).toMatchObject({
      user_id: '@ada:tokened.test',
    });

    await setSecret('tokened-registration', 'second-token');
    await eventually(
      async () => (await registerWithToken('tokened.test', 'bea', 'second-token')).body.user_id === '@bea:tokened.test',
    );
    expect((await registerWithToken('tokened.test', 'cid', 'first-token')).status).toBe(401);
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
    for (const kind of ['Ingress', 'HTTPRoute'] as const)
      for (const suffix of ['', '-sessions', '-well-known'])
        expect(await hostsOf(kind, `${SERVICE_PREFIX}-tenant-fresh${suffix}`)).toBeUndefined();
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
