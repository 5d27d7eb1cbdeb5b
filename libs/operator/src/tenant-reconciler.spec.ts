import {
  TENANT_FINALIZER,
  type LatticeTenant,
  type LatticeTenantStatus,
  type TenantBody,
  type SecretKeyRef,
  type TenantView,
} from './lattice-tenant';
import { ClusterObjects } from './cluster-objects';
import type { OperatorSettings } from './operator-settings';
import type { RouteObject } from './tenant-routes';
import type { TenantAdmin, TenantRejection } from './tenant-admin';
import { TenantObjects } from './tenant-objects';
import { TenantReconciler } from './tenant-reconciler';

/** The tenants API as a map (the real one is proven in test/services/tenant-operator.spec.ts). */
class FakeAdmin {
  readonly tenants = new Map<string, TenantView>();
  readonly writes: string[] = [];
  refuse?: TenantRejection;

  async get(serverName: string) {
    return this.tenants.get(serverName);
  }
  async put(serverName: string, body: TenantBody) {
    this.writes.push(`put ${serverName}`);
    if (this.refuse) return this.refuse;
    this.tenants.set(serverName, { ...body });
    return undefined;
  }
  readonly tokens = new Map<string, string[]>();
  async putTokens(serverName: string, tokens: string[]) {
    this.tokens.set(serverName, tokens);
    return undefined;
  }
  async disable(serverName: string) {
    this.writes.push(`disable ${serverName}`);
    const tenant = this.tenants.get(serverName);
    if (tenant) tenant.disabled = true;
  }
}

/** Secrets and routing objects as maps (the real ones are proven against kube-apiserver in test/services/tenant-operator.spec.ts). */
class FakeCluster extends ClusterObjects {
  readonly secrets = new Map<string, Record<string, string>>();
  readonly applied = new Map<string, RouteObject>();
  async readSecret(_: string, ref: SecretKeyRef) {
    const value = this.secrets.get(ref.secretName)?.[ref.key];
    return value === undefined ? { missing: `Secret ${ref.secretName} does not exist` } : { value };
  }
  async watchSecrets() {
    return async () => undefined;
  }
  async apply(object: RouteObject) {
    this.applied.set(`${object.kind}/${object.metadata.name}`, object);
  }
  async remove(object: { kind: string; name: string }) {
    this.applied.delete(`${object.kind}/${object.name}`);
  }
}

const SETTINGS: OperatorSettings = {
  adminUrl: 'http://unused',
  adminToken: 'unused',
  namespace: 'ns',
  retryMs: 1,
  routes: { servicePrefix: 'rel-lattice', ingress: { className: 'nginx' }, wellKnown: true },
};

class FakeObjects extends TenantObjects {
  finalizers?: string[];
  status?: LatticeTenantStatus;
  async watch() {
    return async () => undefined;
  }
  async setFinalizers(_: LatticeTenant, finalizers: string[]) {
    this.finalizers = finalizers;
  }
  async setStatus(_: LatticeTenant, status: LatticeTenantStatus) {
    this.status = status;
  }
}

const NOW = new Date('2026-12-05T10:00:00Z');

function resource(overrides: Partial<LatticeTenant['metadata']> = {}, status?: LatticeTenantStatus): LatticeTenant {
  return {
    metadata: { name: 'one', namespace: 'ns', generation: 2, finalizers: [TENANT_FINALIZER], ...overrides },
    spec: { serverName: 'one.test', hostnames: ['chat.one.test'], registration: { mode: 'open' } },
    ...(status ? { status } : {}),
  };
}

describe('TenantReconciler', () => {
  let admin: FakeAdmin;
  let objects: FakeObjects;
  let cluster: FakeCluster;
  let reconciler: TenantReconciler;

  beforeEach(() => {
    admin = new FakeAdmin();
    objects = new FakeObjects();
    cluster = new FakeCluster();
    reconciler = new TenantReconciler(admin as unknown as TenantAdmin, objects, cluster, SETTINGS);
  });
  const condition = (type: string) => objects.status?.conditions?.find((c) => c.type === type);

  it('adds its finalizer before serving a new resource', async () => {
    await reconciler.reconcile(resource({ finalizers: ['other'] }), NOW);
    expect(objects.finalizers).toEqual(['other', TENANT_FINALIZER]);
    expect(admin.tenants.get('one.test')).toMatchObject({
      hostnames: ['chat.one.test'],
      registration: { mode: 'open', guests: false },
    });
  });

  it('reports Ready and each part with the generation it served', async () => {
    await reconciler.reconcile(resource(), NOW);
    expect(objects.status?.observedGeneration).toBe(2);
    expect(objects.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration])).toEqual([
      ['Ready', 'True', 'Served', 2],
      ['TenantServed', 'True', 'Served', 2],
      ['RoutesReady', 'True', 'Routed', 2],
      ['TokensReady', 'True', 'NoTokenSecrets', 2],
    ]);
    expect(condition('Ready')).toMatchObject({
      message: 'one.test is served',
      lastTransitionTime: '2026-12-05T10:00:00Z',
    });
  });

  it("routes the tenant's API hosts and its server name's well-known documents", async () => {
    await reconciler.reconcile(resource(), NOW);
    const api = cluster.applied.get('Ingress/rel-lattice-tenant-one')!;
    expect((api.spec.rules as Array<{ host: string }>).map((r) => r.host)).toEqual(['chat.one.test']);
    const wellKnown = cluster.applied.get('Ingress/rel-lattice-tenant-one-well-known')!;
    expect(wellKnown.spec.rules).toEqual([
      {
        host: 'one.test',
        http: {
          paths: [
            expect.objectContaining({ path: '/.well-known/matrix/server', pathType: 'Exact' }),
            expect.objectContaining({ path: '/.well-known/matrix/client', pathType: 'Exact' }),
          ],
        },
      },
    ]);
  });

  it('keeps each session on one sync worker: the sync paths in an Ingress hashing the access token', async () => {
    await reconciler.reconcile(resource(), NOW);
    const sessions = cluster.applied.get('Ingress/rel-lattice-tenant-one-sessions')!;
    expect(sessions.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/upstream-hash-by': '$http_authorization$arg_access_token',
    });
    const backends = (ingress: typeof sessions) =>
      new Set(
        (ingress.spec.rules as Array<{ http: { paths: Array<{ backend: { service: { name: string } } }> } }>).flatMap(
          (r) => r.http.paths.map((p) => p.backend.service.name),
        ),
      );
    expect(backends(sessions)).toEqual(new Set(['rel-lattice-sync']));
    expect(backends(cluster.applied.get('Ingress/rel-lattice-tenant-one')!).has('rel-lattice-sync')).toBe(false);
  });

  it('removes the API Ingresses once the tenant has no API host left', async () => {
    await reconciler.reconcile(resource(), NOW);
    const bare = resource();
    bare.spec.hostnames = [];
    await reconciler.reconcile(bare, NOW);
    expect([...cluster.applied.keys()]).toEqual(['Ingress/rel-lattice-tenant-one-well-known']);
  });

  it("makes the token Secret's value the tenant's registration token, in token mode by default", async () => {
    cluster.secrets.set('tokens', { token: 'from-the-secret' });
    const tokened = resource();
    tokened.spec.registration = { tokenSecrets: [{ secretName: 'tokens', key: 'token' }] };
    await reconciler.reconcile(tokened, NOW);
    expect(admin.tokens.get('one.test')).toEqual(['from-the-secret']);
    expect(admin.tenants.get('one.test')!.registration.mode).toBe('token');
  });

  it('says which token Secret is missing and leaves the tokens as they were', async () => {
    const tokened = resource();
    tokened.spec.registration = { tokenSecrets: [{ secretName: 'absent', key: 'token' }] };
    await reconciler.reconcile(tokened, NOW);
    expect(admin.tokens.has('one.test')).toBe(false);
    expect(condition('TokensReady')).toMatchObject({ status: 'False', reason: 'SecretMissing' });
    expect(condition('Ready')).toMatchObject({ status: 'False', message: 'Secret absent does not exist' });
  });

  it('writes neither the tenant nor the status when both already match', async () => {
    await reconciler.reconcile(resource(), NOW);
    const served = resource({}, objects.status);
    objects.status = undefined;
    admin.writes.length = 0;
    await reconciler.reconcile(served, new Date('2026-12-05T11:00:00Z'));
    expect(admin.writes).toEqual([]);
    expect(objects.status).toBeUndefined();
  });

  it('re-enables a tenant disabled behind its back', async () => {
    await reconciler.reconcile(resource(), NOW);
    admin.tenants.get('one.test')!.disabled = true;
    await reconciler.reconcile(resource({}, objects.status), NOW);
    expect(admin.tenants.get('one.test')!.disabled).toBe(false);
  });

  it('reports the Matrix error when the tenants API refuses the tenant', async () => {
    admin.refuse = { errcode: 'M_INVALID_PARAM', error: 'chat.one.test already belongs to tenant two.test' };
    await reconciler.reconcile(resource(), NOW);
    expect(condition('TenantServed')).toMatchObject({
      status: 'False',
      reason: 'Rejected',
      message: 'M_INVALID_PARAM: chat.one.test already belongs to tenant two.test',
    });
    expect(condition('Ready')).toMatchObject({ status: 'False', reason: 'Rejected' });
    expect(cluster.applied.size).toBe(0);
  });

  it('disables the tenant of a deleted resource, then releases it', async () => {
    await reconciler.reconcile(resource(), NOW);
    await reconciler.reconcile(resource({ deletionTimestamp: NOW, finalizers: [TENANT_FINALIZER, 'other'] }), NOW);
    expect(admin.tenants.get('one.test')!.disabled).toBe(true);
    expect(cluster.applied.size).toBe(0);
    expect(objects.finalizers).toEqual(['other']);
  });

  it('leaves a deleted resource it never served alone', async () => {
    await reconciler.reconcile(resource({ deletionTimestamp: NOW, finalizers: [] }), NOW);
    expect(admin.writes).toEqual([]);
    expect(objects.finalizers).toBeUndefined();
  });
});
