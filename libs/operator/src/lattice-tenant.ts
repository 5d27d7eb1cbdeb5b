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
  registration?: { mode?: RegistrationMode; guests?: boolean; tokenSecrets?: SecretKeyRef[] };
}

/** A key of a Secret in the LatticeTenant's namespace. */
export interface SecretKeyRef {
  secretName: string;
  key: string;
}

/**
 * One condition per part the operator makes true, and Ready when all are:
 * TenantServed (the tenants API serves it), RoutesReady (its Ingresses /
 * HTTPRoutes carry its hosts), TokensReady (its token Secrets were read and
 * their tokens are the tenant's operator-managed registration tokens).
 */
export type ConditionType = 'Ready' | 'TenantServed' | 'RoutesReady' | 'TokensReady';
export const PART_CONDITIONS = ['TenantServed', 'RoutesReady', 'TokensReady'] as const;
export type PartCondition = (typeof PART_CONDITIONS)[number];
export type PartOutcome =
  { ok: true; reason: string; message: string } | { ok: false; reason: string; message: string };

export interface TenantCondition {
  type: ConditionType;
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
    uid?: string;
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

/**
 * Fields the resource leaves out take the admin API's defaults for a new tenant: closed (token when it names
 * token Secrets), no guests, no extra hosts.
 */
export function desiredTenant(spec: LatticeTenantSpec): TenantBody {
  const mode = spec.registration?.mode ?? (spec.registration?.tokenSecrets?.length ? 'token' : 'closed');
  return {
    public_base_url: spec.publicBaseUrl ?? null,
    federation_host: spec.federationHost ?? null,
    hostnames: spec.hostnames ?? [],
    registration: { mode, guests: spec.registration?.guests ?? false },
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
 * The status after a reconcile: a condition per part, and Ready (True when
 * every part is). A transition time moves only when its condition's status
 * changes, as Kubernetes' conventions ask.
 */
export function nextStatus(
  tenant: LatticeTenant,
  parts: Record<PartCondition, PartOutcome>,
  now: Date,
): LatticeTenantStatus {
  const generation = tenant.metadata.generation;
  const failed = PART_CONDITIONS.filter((p) => !parts[p].ok);
  const ready: PartOutcome =
    failed.length === 0
      ? { ok: true, reason: 'Served', message: `${tenant.spec.serverName} is served` }
      : { ok: false, reason: parts[failed[0]].reason, message: failed.map((p) => parts[p].message).join('; ') };
  const condition = (type: ConditionType, outcome: PartOutcome): TenantCondition => {
    const previous = tenant.status?.conditions?.find((c) => c.type === type);
    const status = outcome.ok ? 'True' : 'False';
    return {
      type,
      status,
      reason: outcome.reason,
      message: outcome.message,
      observedGeneration: generation,
      lastTransitionTime:
        previous && previous.status === status
          ? previous.lastTransitionTime
          : now.toISOString().replace(/\.\d+Z$/, 'Z'),
    };
  };
  return {
    observedGeneration: generation,
    conditions: [condition('Ready', ready), ...PART_CONDITIONS.map((p) => condition(p, parts[p]))],
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
