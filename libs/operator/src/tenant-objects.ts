import type { LatticeTenant, LatticeTenantStatus } from './lattice-tenant';

/** The LatticeTenant objects of the Kubernetes API, as the reconciler needs them (KubeTenantObjects is the real one). */
export abstract class TenantObjects {
  /** Calls `onChange` with every object now and at every later change, `onDelete` once one is gone, until the returned stop is called. */
  abstract watch(
    onChange: (tenant: LatticeTenant) => void,
    onDelete: (tenant: LatticeTenant) => void,
  ): Promise<() => Promise<void>>;
  /** Replaces the finalizers; fails on a conflict if the object changed since it was read. */
  abstract setFinalizers(tenant: LatticeTenant, finalizers: string[]): Promise<void>;
  abstract setStatus(tenant: LatticeTenant, status: LatticeTenantStatus): Promise<void>;
}
