import { Logger } from '@nestjs/common';
import { httpRequestDuration, httpRequests, logContext, nameServerSpan } from '@lattice/telemetry';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MatrixRequest } from './request-context';

/** What metrics and the access log call a request that matched no route: one label value, whatever the path. */
const UNMATCHED = 'unmatched';
const access = new Logger('Access');

/**
 * Per request: a log context (the guard adds the tenant) for every line
 * logged while it is handled; the HTTP span named by the route pattern with
 * http.route, not the bare method; then, when answered, the request counted
 * and timed by route and status, and one access-log line.
 */
export function installRequestObservation(app: FastifyInstance, options: { accessLog: boolean }): void {
  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const route = routeOf(request);
    if (route !== UNMATCHED) nameServerSpan(request.method, route);
    logContext.run({}, done);
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = routeOf(request);
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    const seconds = reply.elapsedTime / 1000;
    httpRequests.inc(labels);
    httpRequestDuration.observe(labels, seconds);
    if (!options.accessLog || route.startsWith('/health/') || route === '/metrics') return;
    const matrix = (request as MatrixRequest).matrix;
    access.log({
      msg: `${request.method} ${pathOf(request.url)} ${reply.statusCode} ${Math.round(reply.elapsedTime)}ms`,
      method: request.method,
      path: pathOf(request.url),
      route,
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
      ...(matrix?.tenant ? { tenant: matrix.tenant.serverName } : {}),
      ...(matrix?.requester ? { user_id: matrix.requester.userId, device_id: matrix.requester.deviceId } : {}),
    });
  });
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED;
}

/** The path without the query: query strings may carry access tokens (the deprecated access_token parameter). */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
