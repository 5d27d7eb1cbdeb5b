import { ROUTES, type HttpService } from './routes';

/**
 * The route table as Ingress paths (the chart's helm/lattice/files/routes.json
 * and the LatticeTenant operator's Ingresses). The Kubernetes API server
 * accepts only Ingress paths that start with "/", so the patterns lose their
 * leading "^": ingress-nginx (use-regex) anchors a regex location at the
 * start of the path anyway.
 */
export function ingressRoutes(): Array<{ service: HttpService; path: string }> {
  return ROUTES.map(({ service, pattern }) => ({ service, path: pattern.replace(/^\^/, '') }));
}

export function renderIngressRoutes(): string {
  return `${JSON.stringify(ingressRoutes(), null, 2)}\n`;
}
