/**
 * The LatticeTenant custom resource (helm/lattice/crds/latticetenants.yaml)
 * and the pure rules that turn one into a tenant of the admin API: no I/O
 * here, so the reconciler's decisions are unit-tested.
 */
export const TENANT_GROUP = 'lattice.dev';
export const TENANT_VERSION = 'v1alpha1';
export const TENANT_PLURAL = 'latticetenants';
/** Held on every LatticeTenant the operator has served, so deleting one first disables its tenant. */
export const TENANT_FINALIZER = 'lattice.dev/disable-tenant';

export type RegistrationMode = 'open' | 'token' | 'closed';

export interface LatticeTenantSpec {
  serverName: string;
  publicBaseUrl?: string;
  federationHost?: string;
  hostnames?: string[];
  registration?: { mode?: RegistrationMode; guests?: boolean };
}

export interface TenantCondition {
  type: 'Ready';
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface LatticeTenantStatus {
  observedGeneration?: number;
  conditions?: TenantCondition[];
}

export interface LatticeTenant {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: Date;
    finalizers?: string[];
  };
  spec: LatticeTenantSpec;
  status?: LatticeTenantStatus;
}

/** The body of `PUT /_lattice/admin/v1/tenants/{serverName}` that makes the tenant what the resource says, served. */
export interface TenantBody {
  public_base_url: string | null;
  federation_host: string | null;
  hostnames: string[];
  registration: { mode: RegistrationMode; guests: boolean };
  disabled: false;
}

/** The admin API's view of a tenant (the fields the operator owns). */
export interface TenantView {
  public_base_url: string | null;
  federation_host: string | null;
  hostnames: string[];
  registration: { mode: RegistrationMode; guests: boolean };
  disabled: boolean;
}

/** Fields the resource leaves out take the admin API's defaults for a new tenant: closed, no guests, no extra hosts. */
export function desiredTenant(spec: LatticeTenantSpec): TenantBody {
  return {
    public_base_url: spec.publicBaseUrl ?? null,
    federation_host: spec.federationHost ?? null,
    hostnames: spec.hostnames ?? [],
    registration: { mode: spec.registration?.mode ?? 'closed', guests: spec.registration?.guests ?? false },
    disabled: false,
  };
}

/** Whether the served tenant already is what the resource asks for (so no write, and no reload in every process). */
export function isUpToDate(current: TenantView | undefined, desired: TenantBody): boolean {
  return (
    !!current &&
    !current.disabled &&
    current.public_base_url === desired.public_base_url &&
    current.federation_host === desired.federation_host &&
    current.registration.mode === desired.registration.mode &&
    current.registration.guests === desired.registration.guests &&
    current.hostnames.length === desired.hostnames.length &&
    current.hostnames.every((h, i) => h === desired.hostnames[i])
  );
}

/**
 * The status after a reconcile. The transition time moves only when the
 * condition's status changes, as Kubernetes' conventions ask.
 */
export function nextStatus(
  tenant: LatticeTenant,
  outcome: { ready: true } | { ready: false; reason: string; message: string },
  now: Date,
): LatticeTenantStatus {
  const generation = tenant.metadata.generation;
  const previous = tenant.status?.conditions?.find((c) => c.type === 'Ready');
  const status = outcome.ready ? 'True' : 'False';
  return {
    observedGeneration: generation,
    conditions: [
      {
        type: 'Ready',
        status,
        reason: outcome.ready ? 'Served' : outcome.reason,
        message: outcome.ready ? `${tenant.spec.serverName} is served` : outcome.message,
        observedGeneration: generation,
        lastTransitionTime:
          previous && previous.status === status
            ? previous.lastTransitionTime
            : now.toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    ],
  };
}

/** Whether writing `next` would change the stored status (a write triggers another watch event, so equal ones are skipped). */
export function statusChanged(current: LatticeTenantStatus | undefined, next: LatticeTenantStatus): boolean {
  // The API server answers objects with their keys sorted: compare field by field, not as text.
  const key = (s: LatticeTenantStatus | undefined) =>
    [
      s?.observedGeneration,
      ...(s?.conditions ?? []).flatMap((c) => [
        c.type,
        c.status,
        c.reason,
        c.message,
        c.observedGeneration,
        c.lastTransitionTime,
      ]),
    ].join('\u0000');
  return key(current) !== key(next);
}
