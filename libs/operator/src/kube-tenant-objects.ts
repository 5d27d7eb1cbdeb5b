import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { clientNode, KubeConnection, runInformer } from './kube-connection';
import {
  TENANT_GROUP,
  TENANT_PLURAL,
  TENANT_VERSION,
  type LatticeTenant,
  type LatticeTenantStatus,
} from './lattice-tenant';
import { OPERATOR_SETTINGS, type OperatorSettings } from './operator-settings';
import { TenantObjects } from './tenant-objects';

/**
 * LatticeTenants of one namespace through @kubernetes/client-node: an
 * informer (list, then watch from its resourceVersion, relisting after a
 * failure) and merge patches of the object and its status subresource.
 */
@Injectable()
export class KubeTenantObjects extends TenantObjects {
  private readonly logger = new Logger(KubeTenantObjects.name);
  private objectsApi?: CustomObjectsApi;

  constructor(
    @Inject(OPERATOR_SETTINGS) private readonly settings: OperatorSettings,
    private readonly connection: KubeConnection,
  ) {
    super();
  }

  async watch(
    onChange: (tenant: LatticeTenant) => void,
    onDelete: (tenant: LatticeTenant) => void,
  ): Promise<() => Promise<void>> {
    const k8s = await clientNode();
    const config = await this.connection.kubeConfig();
    const objects = await this.client();
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
    informer.on('add', onChange);
    informer.on('update', onChange);
    informer.on('delete', onDelete);
    return runInformer(informer, path, this.logger);
  }

  async setFinalizers(tenant: LatticeTenant, finalizers: string[]): Promise<void> {
    const k8s = await clientNode();
    const objects = await this.client();
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
    const objects = await this.client();
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

  private async client(): Promise<CustomObjectsApi> {
    if (!this.objectsApi) {
      const k8s = await clientNode();
      this.objectsApi = (await this.connection.kubeConfig()).makeApiClient(k8s.CustomObjectsApi);
    }
    return this.objectsApi;
  }
}
