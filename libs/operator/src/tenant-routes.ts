import { ingressRoutes, type IngressRoute } from '@lattice/routing';
import { TENANT_GROUP, TENANT_VERSION, type LatticeTenant } from './lattice-tenant';
import type { RouteSettings } from './operator-settings';

/**
 * The Ingresses and Gateway API HTTPRoutes that bring a LatticeTenant's hosts
 * to the release's Services, built from the same route table as the chart's
 * own (libs/routing): the API paths for the tenant's API hosts (as
 * Ingresses, the sync workers' paths apart so each session sticks to one
 * worker), and one object with the discovery documents on its server-name
 * domain (server-server-api "Resolving server names", client-server-api
 * "Server Discovery"). Pure: the reconciler applies them.
 */
export interface RouteObject {
  apiVersion: string;
  kind: 'Ingress' | 'HTTPRoute';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller: boolean }>;
  };
  spec: Record<string, unknown>;
}

const INGRESS = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' } as const;
const HTTP_ROUTE = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' } as const;
const WELL_KNOWN = [
  { path: '/.well-known/matrix/server', service: 'federation-api' },
  { path: '/.well-known/matrix/client', service: 'client-api' },
] as const;

/** The hosts that serve the tenant's APIs: its publicBaseUrl host, its federationHost's host and its hostnames. */
export function apiHosts(tenant: LatticeTenant): string[] {
  const { publicBaseUrl, federationHost, hostnames = [] } = tenant.spec;
  const hosts = [
    ...(publicBaseUrl ? [new URL(publicBaseUrl).hostname] : []),
    ...(federationHost ? [withoutPort(federationHost)] : []),
    ...hostnames,
  ];
  return [...new Set(hosts)];
}

/** Every object the operator may own for this tenant (for removing the ones no longer wanted). */
export function managedRouteNames(
  tenant: LatticeTenant,
  settings: RouteSettings,
): Array<Pick<RouteObject, 'apiVersion' | 'kind'> & { name: string }> {
  const kinds = [...(settings.ingress ? [INGRESS] : []), ...(settings.gatewayApi ? [HTTP_ROUTE] : [])];
  const base = objectName(tenant, settings);
  return kinds.flatMap((k) => [
    ...(k === INGRESS ? ingressGroups().map((g) => ({ ...k, name: `${base}${g.suffix}` })) : [{ ...k, name: base }]),
    { ...k, name: `${base}-well-known` },
  ]);
}

/**
 * The API routes as Ingresses: those of sticky services (with a hashBy) in one of their own, as ingress-nginx's
 * upstream-hash-by holds for a whole Ingress; the others balanced request by request.
 */
function ingressGroups(): Array<{ suffix: string; routes: IngressRoute[]; hashBy?: string }> {
  const routes = ingressRoutes();
  const sticky = routes.filter((r) => r.hashBy);
  return [
    { suffix: '', routes: routes.filter((r) => !r.hashBy) },
    ...(sticky.length > 0 ? [{ suffix: '-sessions', routes: sticky, hashBy: sticky[0].hashBy }] : []),
  ];
}

/** The objects the tenant should have now. */
export function desiredRoutes(tenant: LatticeTenant, settings: RouteSettings, namespace: string): RouteObject[] {
  const hosts = apiHosts(tenant);
  const domain = withoutPort(tenant.spec.serverName);
  const base = objectName(tenant, settings);
  const meta = (name: string, annotations?: Record<string, string>) => ({
    name,
    namespace,
    labels: { 'app.kubernetes.io/managed-by': 'lattice-operator', 'lattice.dev/tenant': tenant.metadata.name! },
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
    // Garbage-collected with the LatticeTenant by the cluster even if the operator misses the deletion.
    ...(tenant.metadata.uid
      ? {
          ownerReferences: [
            {
              apiVersion: `${TENANT_GROUP}/${TENANT_VERSION}`,
              kind: 'LatticeTenant',
              name: tenant.metadata.name!,
              uid: tenant.metadata.uid,
              controller: true,
            },
          ],
        }
      : {}),
  });
  const service = (name: string) => `${settings.servicePrefix}-${name}`;
  const objects: RouteObject[] = [];
  const { ingress, gatewayApi } = settings;
  if (ingress) {
    const tls = (tlsHosts: string[]) =>
      ingress.tlsSecretName ? { tls: [{ hosts: tlsHosts, secretName: ingress.tlsSecretName }] } : {};
    const spec = (rules: unknown[], tlsHosts: string[]) => ({
      ...(ingress.className ? { ingressClassName: ingress.className } : {}),
      ...tls(tlsHosts),
      rules,
    });
    if (hosts.length > 0)
      for (const group of ingressGroups())
        objects.push({
          ...INGRESS,
          // As the chart's Ingresses: regex paths, no proxy body limit or buffering (each service limits its own
          // bodies), and the sticky services' routes apart with the session hash.
          metadata: meta(`${base}${group.suffix}`, {
            'nginx.ingress.kubernetes.io/use-regex': 'true',
            'nginx.ingress.kubernetes.io/proxy-body-size': '0',
            'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
            'nginx.ingress.kubernetes.io/proxy-read-timeout': '120',
            ...(group.hashBy ? { 'nginx.ingress.kubernetes.io/upstream-hash-by': group.hashBy } : {}),
            ...ingress.annotations,
          }),
          spec: spec(
            hosts.map((host) => ({
              host,
              http: {
                paths: group.routes.map((r) => ({
                  path: r.path,
                  pathType: 'ImplementationSpecific',
                  backend: { service: { name: service(r.service), port: { name: 'http' } } },
                })),
              },
            })),
            hosts,
          ),
        });
    if (settings.wellKnown)
      objects.push({
        ...INGRESS,
        metadata: meta(`${base}-well-known`, ingress.annotations),
        spec: spec(
          [
            {
              host: domain,
              http: {
                paths: WELL_KNOWN.map((w) => ({
                  path: w.path,
                  pathType: 'Exact',
                  backend: { service: { name: service(w.service), port: { name: 'http' } } },
                })),
              },
            },
          ],
          [domain],
        ),
      });
  }
  if (gatewayApi) {
    if (hosts.length > 0)
      objects.push({
        ...HTTP_ROUTE,
        metadata: meta(base),
        spec: {
          parentRefs: gatewayApi.parentRefs,
          hostnames: hosts,
          // One rule per service with all its paths as matches: the Gateway API allows 16 rules per route, fewer than
          // the route table's paths. A RegularExpression match is against the whole path (RE2 full match), so
          // open-ended prefixes get ".*".
          rules: [...new Set(ingressRoutes().map((r) => r.service))].map((name) => ({
            matches: ingressRoutes()
              .filter((r) => r.service === name)
              .map((r) => ({
                path: { type: 'RegularExpression', value: r.path.endsWith('$') ? r.path : `${r.path}.*` },
              })),
            backendRefs: [{ name: service(name), port: 8008 }],
          })),
        },
      });
    if (settings.wellKnown)
      objects.push({
        ...HTTP_ROUTE,
        metadata: meta(`${base}-well-known`),
        spec: {
          parentRefs: gatewayApi.parentRefs,
          hostnames: [domain],
          rules: WELL_KNOWN.map((w) => ({
            matches: [{ path: { type: 'Exact', value: w.path } }],
            backendRefs: [{ name: service(w.service), port: 8008 }],
          })),
        },
      });
  }
  return objects;
}

function objectName(tenant: LatticeTenant, settings: RouteSettings): string {
  return `${settings.servicePrefix}-tenant-${tenant.metadata.name}`;
}

function withoutPort(host: string): string {
  return host.replace(/:[0-9]+$/, '');
}
