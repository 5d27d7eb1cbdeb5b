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
  /** Which routing objects each LatticeTenant gets; unset: none (hosts routed some other way). */
  routes?: RouteSettings;
}

/** The chart's routing values, as the operator's pod gets them (LATTICE_OPERATOR_ROUTES, JSON). */
export interface RouteSettings {
  /** The release's Services are `${servicePrefix}-client-api`, `-sync`, `-federation-api`, `-media`. */
  servicePrefix: string;
  /** Ingresses (values ingress.*), when enabled. */
  ingress?: { className?: string; annotations?: Record<string, string>; tlsSecretName?: string };
  /** HTTPRoutes attached to these Gateways (values gatewayApi.*), when enabled. */
  gatewayApi?: { parentRefs: unknown[] };
  /** Route /.well-known/matrix/server and /client on each tenant's server-name domain. */
  wellKnown: boolean;
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
    ...(env.LATTICE_OPERATOR_ROUTES ? { routes: JSON.parse(env.LATTICE_OPERATOR_ROUTES) as RouteSettings } : {}),
    retryMs: 1000,
  };
}
