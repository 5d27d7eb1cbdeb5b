import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';

const logger = new Logger('CreateMissingSecrets');

/** A secret the chart names by {secretName, key} that the deployment can make itself (a random value, no outside meaning). */
export interface GeneratedSecret {
  /** The chart value it is, e.g. registrationSharedSecret (for the log). */
  setting: string;
  secretName: string;
  key: string;
}

/**
 * The hook Job's first step: each generatable secret (LATTICE_GENERATED_SECRETS) whose Secret or key does
 * not exist yet is created with 32 random bytes, so a new release needs no hand-made Secret for them; one
 * that exists is never changed (pods already use it). Values are never logged. The Job's ServiceAccount may
 * create Secrets and read/patch only these names (helm/lattice/templates/prepare-job.yaml).
 */
export async function createMissingSecrets(env: NodeJS.ProcessEnv): Promise<void> {
  const wanted = JSON.parse(env.LATTICE_GENERATED_SECRETS ?? '[]') as GeneratedSecret[];
  if (wanted.length === 0) return;
  const namespace = env.LATTICE_NAMESPACE;
  if (!namespace) throw new Error('LATTICE_NAMESPACE is needed to create missing secrets');
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  // The pod's service account in the cluster; KUBECONFIG elsewhere (tests, a run by hand).
  config.loadFromDefault();
  const core = config.makeApiClient(k8s.CoreV1Api);
  for (const secret of wanted) await ensureSecret(core, namespace, secret, k8s);
}

async function ensureSecret(
  core: CoreV1Api,
  namespace: string,
  wanted: GeneratedSecret,
  k8s: typeof import('@kubernetes/client-node'),
): Promise<void> {
  const where = `Secret ${wanted.secretName}, key ${wanted.key} (${wanted.setting})`;
  const value = () => randomBytes(32).toString('base64url');
  // Two attempts: another writer (a second Job, a person) may create or change the Secret between read and write.
  for (let attempt = 0; ; attempt++) {
    const existing = await readSecret(core, namespace, wanted.secretName);
    try {
      if (!existing) {
        await core.createNamespacedSecret({
          namespace,
          body: {
            metadata: {
              name: wanted.secretName,
              labels: { 'app.kubernetes.io/managed-by': 'lattice-prepare' },
            },
            type: 'Opaque',
            stringData: { [wanted.key]: value() },
          },
        });
        logger.log(`Created ${where}`);
      } else if (existing.data?.[wanted.key] === undefined) {
        await core.patchNamespacedSecret(
          {
            name: wanted.secretName,
            namespace,
            // With the resourceVersion read, a concurrent change is a 409 (tried again) rather than overwritten.
            body: {
              metadata: { resourceVersion: existing.metadata?.resourceVersion },
              data: { [wanted.key]: Buffer.from(value()).toString('base64') },
            },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
        logger.log(`Added ${where}`);
      } else logger.log(`${where} exists, kept`);
      return;
    } catch (e) {
      if ((e as { code?: number }).code !== 409 || attempt > 0) throw e;
    }
  }
}

async function readSecret(core: CoreV1Api, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ name, namespace });
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}
