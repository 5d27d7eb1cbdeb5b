import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { LatticeTenant } from './lattice-tenant';
import { OPERATOR_SETTINGS, type OperatorSettings } from './operator-settings';
import { ClusterObjects } from './cluster-objects';
import { TenantObjects } from './tenant-objects';
import { TenantReconciler } from './tenant-reconciler';

const MAX_RETRY_MS = 60_000;

/**
 * Watches LatticeTenants (and the namespace's Secrets, so a rotated token
 * Secret reaches the tenants that name it) and reconciles each one, one at a time per object,
 * always with its newest version: changes that arrive while an object is
 * being reconciled are merged into one more pass. A failed pass (the tenants
 * API or the Kubernetes API unreachable, a conflict) is retried with a
 * doubling delay.
 */
@Injectable()
export class TenantOperator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TenantOperator.name);
  /** Every live LatticeTenant as last seen, to find the ones a changed Secret concerns. */
  private readonly known = new Map<string, LatticeTenant>();
  private readonly latest = new Map<string, LatticeTenant>();
  private readonly busy = new Set<string>();
  private readonly retries = new Map<string, { delay: number; timer: NodeJS.Timeout }>();
  private readonly stopWatches: Array<() => Promise<void>> = [];

  constructor(
    private readonly objects: TenantObjects,
    private readonly cluster: ClusterObjects,
    private readonly reconciler: TenantReconciler,
    @Inject(OPERATOR_SETTINGS) private readonly settings: OperatorSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.stopWatches.push(
      await this.objects.watch(
        (tenant) => this.enqueue(tenant),
        (tenant) => this.known.delete(keyOf(tenant)),
      ),
      await this.cluster.watchSecrets(this.settings.namespace, (secretName) => this.secretChanged(secretName)),
    );
    this.logger.log(`Watching LatticeTenants in namespace ${this.settings.namespace}`);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const { timer } of this.retries.values()) clearTimeout(timer);
    for (const stop of this.stopWatches) await stop();
  }

  private secretChanged(secretName: string): void {
    for (const tenant of this.known.values())
      if (tenant.spec.registration?.tokenSecrets?.some((ref) => ref.secretName === secretName)) this.enqueue(tenant);
  }

  private enqueue(tenant: LatticeTenant): void {
    const key = keyOf(tenant);
    this.known.set(key, tenant);
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

function keyOf(tenant: LatticeTenant): string {
  return `${tenant.metadata.namespace}/${tenant.metadata.name}`;
}
