import { Injectable, Logger } from '@nestjs/common';
import {
  desiredTenant,
  isUpToDate,
  nextStatus,
  statusChanged,
  TENANT_FINALIZER,
  type LatticeTenant,
} from './lattice-tenant';
import { TenantAdmin } from './tenant-admin';
import { TenantObjects } from './tenant-objects';

/**
 * Makes one LatticeTenant true: a live object's tenant is served as its spec
 * says (created, changed or re-enabled through the tenants API) and its Ready
 * condition says so or says why not; a deleted object's tenant is disabled
 * before its finalizer is released. Level-based: it compares with what the
 * API serves, so running it again changes nothing.
 */
@Injectable()
export class TenantReconciler {
  private readonly logger = new Logger(TenantReconciler.name);

  constructor(
    private readonly admin: TenantAdmin,
    private readonly objects: TenantObjects,
  ) {}

  async reconcile(tenant: LatticeTenant, now = new Date()): Promise<void> {
    const finalizers = tenant.metadata.finalizers ?? [];
    const serverName = tenant.spec.serverName;
    if (tenant.metadata.deletionTimestamp) {
      if (!finalizers.includes(TENANT_FINALIZER)) return;
      await this.admin.disable(serverName);
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
    const desired = desiredTenant(tenant.spec);
    let rejection;
    if (!isUpToDate(await this.admin.get(serverName), desired)) {
      rejection = await this.admin.put(serverName, desired);
      if (rejection) this.logger.warn(`Tenant ${serverName} refused: ${rejection.errcode} ${rejection.error}`);
      else this.logger.log(`Tenant ${serverName} served as LatticeTenant ${tenant.metadata.name} says`);
    }
    const status = nextStatus(
      tenant,
      rejection
        ? { ready: false, reason: 'Rejected', message: `${rejection.errcode}: ${rejection.error}` }
        : { ready: true },
      now,
    );
    if (statusChanged(tenant.status, status)) await this.objects.setStatus(tenant, status);
  }
}
