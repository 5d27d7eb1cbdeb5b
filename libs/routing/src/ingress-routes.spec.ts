import { renderIngressRoutes } from './ingress-routes';

describe('Ingress routes', () => {
  const routes = JSON.parse(renderIngressRoutes()) as Array<{ service: string; path: string; hashBy?: string }>;

  it('give every path in a form the Kubernetes API server accepts (starting with "/")', () =>
    expect(routes.filter((r) => !r.path.startsWith('/'))).toEqual([]));
  it('keep the sync paths routed to the sync service', () =>
    expect(routes).toContainEqual(expect.objectContaining({ service: 'sync', path: '/_matrix/client/(r0|v3)/sync$' })));
  it("hash the sync workers' routes by the session's access token, and no other service's", () => {
    expect(new Set(routes.filter((r) => r.hashBy).map((r) => r.service))).toEqual(new Set(['sync']));
    expect(routes.find((r) => r.hashBy)?.hashBy).toBe('$http_authorization$arg_access_token');
  });
});
