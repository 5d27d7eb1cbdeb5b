import { Inject, Injectable, type Logger } from '@nestjs/common';
import type { Informer, KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { OPERATOR_SETTINGS, type OperatorSettings } from './operator-settings';

/** @kubernetes/client-node is an ES module: loaded when first needed (a CommonJS require of it works on Node 24). */
export const clientNode = () => import('@kubernetes/client-node');

/** How the operator reaches the Kubernetes API, loaded once: a kubeconfig file, else the pod's service account. */
@Injectable()
export class KubeConnection {
  private config?: KubeConfig;

  constructor(@Inject(OPERATOR_SETTINGS) private readonly settings: OperatorSettings) {}

  async kubeConfig(): Promise<KubeConfig> {
    if (!this.config) {
      const k8s = await clientNode();
      const config = new k8s.KubeConfig();
      if (this.settings.kubeconfig) config.loadFromFile(this.settings.kubeconfig);
      else config.loadFromDefault();
      this.config = config;
    }
    return this.config;
  }
}

/**
 * Starts an informer and keeps it running: it stops on an error (the API
 * server restarting, a watch expiring), so it is started again, which lists
 * afresh. Answers the function that stops it for good.
 */
export async function runInformer<T extends KubernetesObject>(
  informer: Informer<T>,
  path: string,
  logger: Logger,
): Promise<() => Promise<void>> {
  let stopped = false;
  let restart: NodeJS.Timeout | undefined;
  informer.on('error', (e: unknown) => {
    if (stopped) return;
    logger.warn(`Watch of ${path} failed, restarting in 5 s: ${(e as Error)?.message ?? e}`);
    restart = setTimeout(
      () => void informer.start().catch((err: Error) => logger.warn(`Restart failed: ${err.message}`)),
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
