import { ROUTES } from './routes';

/**
 * The route table as the Helm chart reads it (helm/lattice/files/routes.json).
 * The Kubernetes API server accepts only Ingress paths that start with "/",
 * so the patterns lose their leading "^": ingress-nginx (use-regex) anchors
 * a regex location at the start of the path anyway.
 */
export function renderIngressRoutes(): string {
  return `${JSON.stringify(
    ROUTES.map(({ service, pattern }) => ({ service, path: pattern.replace(/^\^/, '') })),
    null,
    2,
  )}\n`;
}
