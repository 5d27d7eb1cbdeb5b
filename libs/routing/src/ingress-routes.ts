import { ROUTES } from './routes';

/** The route table as the Helm chart reads it (helm/lattice/files/routes.json). */
export function renderIngressRoutes(): string {
  return `${JSON.stringify(ROUTES.map(({ service, pattern }) => ({ service, pattern })), null, 2)}\n`;
}
