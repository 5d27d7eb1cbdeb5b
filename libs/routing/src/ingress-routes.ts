import { ROUTES, SESSION_HASH_KEY, STICKY_SERVICES, type HttpService } from './routes';

/**
 * The route table as Ingress paths (the chart's helm/lattice/files/routes.json
 * and the LatticeTenant operator's Ingresses). The Kubernetes API server
 * accepts only Ingress paths that start with "/", so the patterns lose their
 * leading "^": ingress-nginx (use-regex) anchors a regex location at the
 * start of the path anyway.
 */
export interface IngressRoute {
  service: HttpService;
  path: string;
  /**
   * What the proxy hashes to keep each session on one worker of a sticky service (ingress-nginx's
   * `upstream-hash-by`, a consistent hash): the routes that have it go in an Ingress of their own, as that
   * annotation holds for a whole Ingress.
   */
  hashBy?: string;
}

export function ingressRoutes(): IngressRoute[] {
  return ROUTES.map(({ service, pattern }) => ({
    service,
    path: pattern.replace(/^\^/, ''),
    ...(STICKY_SERVICES.includes(service) ? { hashBy: SESSION_HASH_KEY } : {}),
  }));
}

export function renderIngressRoutes(): string {
  return `${JSON.stringify(ingressRoutes(), null, 2)}\n`;
}
