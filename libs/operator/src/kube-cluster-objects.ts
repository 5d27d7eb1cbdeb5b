import { Injectable, Logger } from '@nestjs/common';
import type { CoreV1Api, KubernetesObjectApi, V1Secret } from '@kubernetes/client-node';
import { ClusterObjects } from './cluster-objects';
import { clientNode, KubeConnection, runInformer } from './kube-connection';
import type { SecretKeyRef } from './lattice-tenant';
import type { RouteObject } from './tenant-routes';

const FIELD_MANAGER = 'lattice-operator';

/** Secrets, Ingresses and HTTPRoutes through @kubernetes/client-node. */
@Injectable()
export class KubeClusterObjects extends ClusterObjects {
  private readonly logger = new Logger(KubeClusterObjects.name);
  private apis?: { core: CoreV1Api; objects: KubernetesObjectApi };

  constructor(private readonly connection: KubeConnection) {
    super();
  }

  async readSecret(namespace: string, ref: SecretKeyRef): Promise<{ value: string } | { missing: string }> {
    const { core } = await this.client();
    let secret: V1Secret;
    try {
      secret = await core.readNamespacedSecret({ name: ref.secretName, namespace });
    } catch (e) {
      if ((e as { code?: number }).code === 404) return { missing: `Secret ${ref.secretName} does not exist` };
      throw e;
    }
    const data = secret.data?.[ref.key];
    if (data === undefined) return { missing: `Secret ${ref.secretName} has no key ${ref.key}` };
    return { value: Buffer.from(data, 'base64').toString('utf8').trim() };
  }

  async watchSecrets(namespace: string, onChange: (secretName: string) => void): Promise<() => Promise<void>> {
    const k8s = await clientNode();
    const { core } = await this.client();
    const path = `/api/v1/namespaces/${namespace}/secrets`;
    const informer = k8s.makeInformer<V1Secret>(await this.connection.kubeConfig(), path, () =>
      core.listNamespacedSecret({ namespace }),
    );
    const changed = (secret: V1Secret) => onChange(secret.metadata!.name!);
    informer.on('add', changed);
    informer.on('update', changed);
    return runInformer(informer, path, this.logger);
  }

  async apply(object: RouteObject): Promise<void> {
    const k8s = await clientNode();
    const { objects } = await this.client();
    // Forced: the operator owns these objects' fields; a hand edit is put back, as a controller does.
    await objects.patch(object, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
  }

  async remove(object: { apiVersion: string; kind: string; name: string; namespace: string }): Promise<void> {
    const { objects } = await this.client();
    try {
      await objects.delete({
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: object.name, namespace: object.namespace },
      });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
  }

  private async client(): Promise<{ core: CoreV1Api; objects: KubernetesObjectApi }> {
    if (!this.apis) {
      const k8s = await clientNode();
      const config = await this.connection.kubeConfig();
      this.apis = {
        core: config.makeApiClient(k8s.CoreV1Api),
        objects: k8s.KubernetesObjectApi.makeApiClient(config),
      };
    }
    return this.apis;
  }
}
