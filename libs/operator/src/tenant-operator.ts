import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { LatticeTenant } from './lattice-tenant';
import { OPERATOR_SETTINGS, type OperatorSettings } from './operator-settings';
import { TenantObjects } from './tenant-objects';
import { TenantReconciler } from './tenant-reconciler';

const MAX_RETRY_MS = 60_000;

/**
 * Watches LatticeTenants and reconciles each one, one at a time per object,
 * always with its newest version: changes that arrive while an object is
 * being reconciled are merged into one more pass. A failed pass (the tenants
 * API or the Kubernetes API unreachable, a conflict) is retried with a
 * doubling delay.
 */
@Injectable()
export class TenantOperator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TenantOperator.name);
  private readonly latest = new Map<string, LatticeTenant>();
  private readonly busy = new Set<string>();
  private readonly retries = new Map<string, { delay: number; timer: NodeJS.Timeout }>();
  private stopWatch?: () => Promise<void>;

  constructor(
    private readonly objects: TenantObjects,
    private readonly reconciler: TenantReconciler,
    @Inject(OPERATOR_SETTINGS) private readonly settings: OperatorSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.stopWatch = await this.objects.watch((tenant) => this.enqueue(tenant));
    this.logger.log(`Watching LatticeTenants in namespace ${this.settings.namespace}`);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const { timer } of this.retries.values()) clearTimeout(timer);
    await this.stopWatch?.();
  }

  private enqueue(tenant: LatticeTenant): void {
    const key = `${tenant.metadata.namespace}/${tenant.metadata.name}`;
    this.latest.set(key, tenant);
    if (!this.busy.has(key)) void this.work(key);
  }

  private async work(key: string): Promise<void> {
    this.busy.add(key);
    for (let tenant = this.latest.get(key); tenant; tenant = this.latest.get(key)) {
      this.latest.delete(key);
      try {
        await this.reconciler.reconcile(tenant);
        const retry = this.retries.get(key);
        if (retry) clearTimeout(retry.timer);
        this.retries.delete(key);
      } catch (e) {
        this.scheduleRetry(key, tenant, e as Error);
      }
    }
    this.busy.delete(key);
  }

  private scheduleRetry(key: string, tenant: LatticeTenant, error: Error): void {
    const previous = this.retries.get(key);
    if (previous) clearTimeout(previous.timer);
    const delay = previous ? Math.min(previous.delay * 2, MAX_RETRY_MS) : this.settings.retryMs;
    this.logger.warn(`Reconciling LatticeTenant ${key} failed, retrying in ${delay} ms: ${error.message}`);
    // A newer version that arrives meanwhile is reconciled at once and replaces this one.
    const timer = setTimeout(() => {
      if (!this.latest.has(key)) this.enqueue(tenant);
    }, delay);
    this.retries.set(key, { delay, timer });
  }
}
