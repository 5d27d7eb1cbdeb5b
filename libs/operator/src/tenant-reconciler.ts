import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClusterObjects } from './cluster-objects';
import {
  desiredTenant,
  isUpToDate,
  nextStatus,
  statusChanged,
  TENANT_FINALIZER,
  type LatticeTenant,
  type PartOutcome,
} from './lattice-tenant';
import { OPERATOR_SETTINGS, type OperatorSettings } from './operator-settings';
import { TenantAdmin } from './tenant-admin';
import { TenantObjects } from './tenant-objects';
import { desiredRoutes, managedRouteNames } from './tenant-routes';

/**
 * Makes one LatticeTenant true: a live object's tenant is served as its spec
 * says (created, changed or re-enabled through the tenants API), its token
 * Secrets' values are its operator-managed registration tokens, its hosts
 * are in its Ingresses / HTTPRoutes, and a condition per part says so or says
 * why not; a deleted object's tenant is disabled and its routing objects
 * removed before its finalizer is released. Level-based: it compares with
 * what is served, so running it again changes nothing.
 */
@Injectable()
export class TenantReconciler {
  private readonly logger = new Logger(TenantReconciler.name);

  constructor(
    private readonly admin: TenantAdmin,
    private readonly objects: TenantObjects,
    private readonly cluster: ClusterObjects,
    @Inject(OPERATOR_SETTINGS) private readonly settings: OperatorSettings,
  ) {}

  async reconcile(tenant: LatticeTenant, now = new Date()): Promise<void> {
    const finalizers = tenant.metadata.finalizers ?? [];
    const serverName = tenant.spec.serverName;
    if (tenant.metadata.deletionTimestamp) {
      if (!finalizers.includes(TENANT_FINALIZER)) return;
      await this.admin.disable(serverName);
      await this.removeRoutes(tenant, new Set());
      this.logger.log(`Disabled tenant ${serverName}: its LatticeTenant ${tenant.metadata.name} was deleted`);
      await this.objects.setFinalizers(
        tenant,
        finalizers.filter((f) => f !== TENANT_FINALIZER),
      );
      return;
    }
    // The finalizer first: a tenant is never served without the promise to disable it on deletion.
    if (!finalizers.includes(TENANT_FINALIZER))
      await this.objects.setFinalizers(tenant, [...finalizers, TENANT_FINALIZER]);
    const served = await this.serveTenant(tenant);
    // A refused tenant gets neither tokens nor routes: its hosts may be another tenant's.
    const refused: PartOutcome = { ok: false, reason: 'TenantRejected', message: 'the tenant is not served' };
    const tokens = served.ok ? await this.syncTokens(tenant) : refused;
    let routeFailure: Error | undefined;
    const routes = served.ok
      ? await this.applyRoutes(tenant).catch((e: Error): PartOutcome => {
          routeFailure = e;
          return { ok: false, reason: 'ApplyFailed', message: `routing objects not written: ${e.message}` };
        })
      : refused;
    const status = nextStatus(tenant, { TenantServed: served, TokensReady: tokens, RoutesReady: routes }, now);
    if (statusChanged(tenant.status, status)) await this.objects.setStatus(tenant, status);
    // Said in the status, then retried (the Kubernetes API may be briefly unavailable).
    if (routeFailure) throw routeFailure;
  }

  private async serveTenant(tenant: LatticeTenant): Promise<PartOutcome> {
    const serverName = tenant.spec.serverName;
    const desired = desiredTenant(tenant.spec);
    if (isUpToDate(await this.admin.get(serverName), desired))
      return { ok: true, reason: 'Served', message: `${serverName} is served` };
    const rejection = await this.admin.put(serverName, desired);
    if (rejection) {
      this.logger.warn(`Tenant ${serverName} refused: ${rejection.errcode} ${rejection.error}`);
      return { ok: false, reason: 'Rejected', message: `${rejection.errcode}: ${rejection.error}` };
    }
    this.logger.log(`Tenant ${serverName} served as LatticeTenant ${tenant.metadata.name} says`);
    return { ok: true, reason: 'Served', message: `${serverName} is served` };
  }

  /** Every referenced Secret must be readable: with one missing the tokens stay as they were (no half rotation). */
  private async syncTokens(tenant: LatticeTenant): Promise<PartOutcome> {
    const refs = tenant.spec.registration?.tokenSecrets ?? [];
    const namespace = this.namespace(tenant);
    const read = await Promise.all(refs.map((ref) => this.cluster.readSecret(namespace, ref)));
    const missing = read.flatMap((r) => ('missing' in r ? [r.missing] : []));
    if (missing.length > 0) return { ok: false, reason: 'SecretMissing', message: missing.join('; ') };
    const tokens = [...new Set(read.map((r) => (r as { value: string }).value))];
    const rejection = await this.admin.putTokens(tenant.spec.serverName, tokens);
    if (rejection) return { ok: false, reason: 'TokenRejected', message: `${rejection.errcode}: ${rejection.error}` };
    return {
      ok: true,
      reason: tokens.length > 0 ? 'TokensSet' : 'NoTokenSecrets',
      message: `${tokens.length} registration token(s) from Secrets`,
    };
  }

  private async applyRoutes(tenant: LatticeTenant): Promise<PartOutcome> {
    const routes = this.settings.routes;
    if (!routes) return { ok: true, reason: 'NotManaged', message: 'routing objects are not managed by the operator' };
    const desired = desiredRoutes(tenant, routes, this.namespace(tenant));
    for (const object of desired) await this.cluster.apply(object);
    await this.removeRoutes(tenant, new Set(desired.map((o) => `${o.kind}/${o.metadata.name}`)));
    return {
      ok: true,
      reason: 'Routed',
      message: desired.map((o) => `${o.kind} ${o.metadata.name}`).join(', ') || 'no hosts to route',
    };
  }

  /** Removes the tenant's routing objects other than those in `keep` (kind/name). */
  private async removeRoutes(tenant: LatticeTenant, keep: Set<string>): Promise<void> {
    const routes = this.settings.routes;
    if (!routes) return;
    for (const object of managedRouteNames(tenant, routes))
      if (!keep.has(`${object.kind}/${object.name}`))
        await this.cluster.remove({ ...object, namespace: this.namespace(tenant) });
  }

  private namespace(tenant: LatticeTenant): string {
    return tenant.metadata.namespace ?? this.settings.namespace;
  }
}
