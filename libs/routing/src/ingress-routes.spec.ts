import { renderIngressRoutes } from './ingress-routes';

describe('Ingress routes', () => {
  const routes = JSON.parse(renderIngressRoutes()) as Array<{ service: string; path: string }>;

  it('give every path in a form the Kubernetes API server accepts (starting with "/")', () =>
    expect(routes.filter((r) => !r.path.startsWith('/'))).toEqual([]));
  it('keep the sync paths routed to the sync service', () =>
    expect(routes).toContainEqual({ service: 'sync', path: '/_matrix/client/(r0|v3)/sync$' }));
});
