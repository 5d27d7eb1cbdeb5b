import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import {
  TENANT_GROUP,
  TENANT_PLURAL,
  TENANT_VERSION,
  type LatticeTenant,
  type LatticeTenantStatus,
} from './lattice-tenant';
import { OPERATOR_SETTINGS, type OperatorSettings } from './operator-settings';
import { TenantObjects } from './tenant-objects';

/** @kubernetes/client-node is an ES module: loaded when first needed (a CommonJS require of it works on Node 24). */
const clientNode = () => import('@kubernetes/client-node');

/**
 * LatticeTenants of one namespace through @kubernetes/client-node: an
 * informer (list, then watch from its resourceVersion, relisting after a
 * failure) and merge patches of the object and its status subresource.
 */
@Injectable()
export class KubeTenantObjects extends TenantObjects {
  private readonly logger = new Logger(KubeTenantObjects.name);
  private api?: { config: KubeConfig; objects: CustomObjectsApi };

  constructor(@Inject(OPERATOR_SETTINGS) private readonly settings: OperatorSettings) {
    super();
  }

  async watch(onChange: (tenant: LatticeTenant) => void): Promise<() => Promise<void>> {
    const k8s = await clientNode();
    const { config, objects } = await this.client();
    const { namespace } = this.settings;
    const path = `/apis/${TENANT_GROUP}/${TENANT_VERSION}/namespaces/${namespace}/${TENANT_PLURAL}`;
    const informer = k8s.makeInformer<LatticeTenant>(config, path, () =>
      objects.listNamespacedCustomObject({
        group: TENANT_GROUP,
        version: TENANT_VERSION,
        namespace,
        plural: TENANT_PLURAL,
      }),
    );
    let stopped = false;
    let restart: NodeJS.Timeout | undefined;
    informer.on('add', onChange);
    informer.on('update', onChange);
    // The informer stops on an error (the API server restarting, a watch expiring): start it again, which lists afresh.
    informer.on('error', (e: unknown) => {
      if (stopped) return;
      this.logger.warn(`Watch of ${path} failed, restarting in 5 s: ${(e as Error)?.message ?? e}`);
      restart = setTimeout(
        () => void informer.start().catch((err: Error) => this.logger.warn(`Restart failed: ${err.message}`)),
        5000,
      );
    });
    await informer.start();
    return async () => {
      stopped = true;
      clearTimeout(restart);
      await informer.stop();
    };
  }

  async setFinalizers(tenant: LatticeTenant, finalizers: string[]): Promise<void> {
    const k8s = await clientNode();
    const { objects } = await this.client();
    await objects.patchNamespacedCustomObject(
      {
        ...this.target(tenant),
        // With the resourceVersion read, a concurrent change makes this a 409 (retried) rather than lost.
        body: { metadata: { finalizers, resourceVersion: tenant.metadata.resourceVersion } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }

  async setStatus(tenant: LatticeTenant, status: LatticeTenantStatus): Promise<void> {
    const k8s = await clientNode();
    const { objects } = await this.client();
    await objects.patchNamespacedCustomObjectStatus(
      { ...this.target(tenant), body: { status } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }

  private target(tenant: LatticeTenant) {
    return {
      group: TENANT_GROUP,
      version: TENANT_VERSION,
      namespace: tenant.metadata.namespace ?? this.settings.namespace,
      plural: TENANT_PLURAL,
      name: tenant.metadata.name!,
    };
  }

  private async client(): Promise<{ config: KubeConfig; objects: CustomObjectsApi }> {
    if (!this.api) {
      const k8s = await clientNode();
      const config = new k8s.KubeConfig();
      if (this.settings.kubeconfig) config.loadFromFile(this.settings.kubeconfig);
      else config.loadFromDefault();
      this.api = { config, objects: config.makeApiClient(k8s.CustomObjectsApi) };
    }
    return this.api;
  }
}
