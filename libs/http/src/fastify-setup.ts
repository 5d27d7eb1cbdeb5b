import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors, MatrixError } from './matrix-error';

/**
 * CORS exactly as client-server-api "Web Browser Clients" requires: every
 * response allows any origin, and OPTIONS pre-flights are answered directly.
 */
function installCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('Access-Control-Allow-Origin', '*');
    reply.header('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
    reply.header('Access-Control-Allow-Headers', 'X-Requested-With, Content-Type, Authorization');
    if (request.method === 'OPTIONS') {
      await reply.status(204).send();
    }
  });
}

/**
 * Bodies are JSON whatever Content-Type the client sent (clients and tools
 * often send none or text/plain, and other servers accept it). A body that
 * fails to parse is M_NOT_JSON, not a generic 400; an empty body is `{}`.
 */
function installJsonParser(app: FastifyInstance): void {
  const parse = (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(Errors.notJson(`Content not JSON: ${(e as Error).message}`), undefined);
    }
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, parse);
}

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;

/**
 * Unknown endpoints answer M_UNRECOGNIZED: 405 when the path exists for
 * another method, 404 otherwise (client-server-api "Common error codes").
 */
export function unrecognizedRequest(request: FastifyRequest): MatrixError {
  const path = request.url.split('?')[0];
  const otherMethod = HTTP_METHODS.some((method) => method !== request.method && request.server.findRoute({ method, url: path }));
  return otherMethod ? Errors.unrecognized(405) : Errors.unrecognized(404);
}

/** Installs the Matrix HTTP conventions on a Fastify instance before routes are registered. */
export function installMatrixHttpConventions(app: FastifyInstance): void {
  installCors(app);
  installJsonParser(app);
}
