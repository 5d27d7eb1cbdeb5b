/** Where the operator finds the tenants API and which namespace's LatticeTenants it serves. */
export interface OperatorSettings {
  /** Base URL of a client-api process, e.g. http://lattice-client-api:8008. */
  adminUrl: string;
  /** The operator token (admin.operatorToken / LATTICE_ADMIN_TOKEN of the client-api processes). */
  adminToken: string;
  namespace: string;
  /** A kubeconfig file; unset: the pod's service account (in cluster) or ~/.kube/config. */
  kubeconfig?: string;
  /** First delay before a failed reconcile is retried; it doubles up to a minute. */
  retryMs: number;
}

export const OPERATOR_SETTINGS = Symbol('OPERATOR_SETTINGS');

/** Settings from the environment the chart gives the operator's pod. */
export function operatorSettingsFromEnv(env: NodeJS.ProcessEnv): OperatorSettings {
  const missing = ['LATTICE_ADMIN_URL', 'LATTICE_ADMIN_TOKEN', 'LATTICE_OPERATOR_NAMESPACE'].filter(
    (name) => !env[name],
  );
  if (missing.length > 0) throw new Error(`The operator needs ${missing.join(', ')}`);
  return {
    adminUrl: env.LATTICE_ADMIN_URL!.replace(/\/+$/, ''),
    adminToken: env.LATTICE_ADMIN_TOKEN!,
    namespace: env.LATTICE_OPERATOR_NAMESPACE!,
    ...(env.KUBECONFIG ? { kubeconfig: env.KUBECONFIG } : {}),
    retryMs: 1000,
  };
}
