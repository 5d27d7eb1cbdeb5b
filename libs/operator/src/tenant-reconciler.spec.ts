import {
  TENANT_FINALIZER,
  type LatticeTenant,
  type LatticeTenantStatus,
  type TenantBody,
  type TenantView,
} from './lattice-tenant';
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
  async disable(serverName: string) {
    this.writes.push(`disable ${serverName}`);
    const tenant = this.tenants.get(serverName);
    if (tenant) tenant.disabled = true;
  }
}

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
  let reconciler: TenantReconciler;

  beforeEach(() => {
    admin = new FakeAdmin();
    objects = new FakeObjects();
    reconciler = new TenantReconciler(admin as unknown as TenantAdmin, objects);
  });

  it('adds its finalizer before serving a new resource', async () => {
    await reconciler.reconcile(resource({ finalizers: ['other'] }), NOW);
    expect(objects.finalizers).toEqual(['other', TENANT_FINALIZER]);
    expect(admin.tenants.get('one.test')).toMatchObject({
      hostnames: ['chat.one.test'],
      registration: { mode: 'open', guests: false },
    });
  });

  it('reports Ready with the generation it served', async () => {
    await reconciler.reconcile(resource(), NOW);
    expect(objects.status).toEqual({
      observedGeneration: 2,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Served',
          message: 'one.test is served',
          observedGeneration: 2,
          lastTransitionTime: '2026-12-05T10:00:00Z',
        },
      ],
    });
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
    expect(objects.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'Rejected',
      message: 'M_INVALID_PARAM: chat.one.test already belongs to tenant two.test',
    });
  });

  it('disables the tenant of a deleted resource, then releases it', async () => {
    await reconciler.reconcile(resource(), NOW);
    await reconciler.reconcile(resource({ deletionTimestamp: NOW, finalizers: [TENANT_FINALIZER, 'other'] }), NOW);
    expect(admin.tenants.get('one.test')!.disabled).toBe(true);
    expect(objects.finalizers).toEqual(['other']);
  });

  it('leaves a deleted resource it never served alone', async () => {
    await reconciler.reconcile(resource({ deletionTimestamp: NOW, finalizers: [] }), NOW);
    expect(admin.writes).toEqual([]);
    expect(objects.finalizers).toBeUndefined();
  });
});
