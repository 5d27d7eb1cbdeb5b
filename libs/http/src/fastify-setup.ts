import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors, MatrixError } from './matrix-error';

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;

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
 * JSON bodies that fail to parse must be M_NOT_JSON (not a generic 400), and
 * an empty body on an endpoint with only optional fields is `{}`.
 */
function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body: string, done) => {
    if (body.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(body));
    } catch (e) {
      done(Errors.notJson(`Content not JSON: ${(e as Error).message}`), undefined);
    }
  });
}

/**
 * Unknown endpoints answer M_UNRECOGNIZED: 405 when the path exists for
 * another method, 404 otherwise (client-server-api "Common error codes").
 */
function installNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    const otherMethod = HTTP_METHODS.some((method) => method !== request.method && app.findRoute({ method, url: path }));
    const error = otherMethod ? Errors.unrecognized(405) : Errors.unrecognized(404);
    await sendMatrixError(reply, error);
  });
}

export async function sendMatrixError(reply: FastifyReply, error: MatrixError): Promise<void> {
  await reply.status(error.status).header('content-type', 'application/json').send(JSON.stringify(error.toJSON()));
}

/** Installs the Matrix HTTP conventions on a Fastify instance before routes are registered. */
export function installMatrixHttpConventions(app: FastifyInstance): void {
  installCors(app);
  installJsonParser(app);
  installNotFound(app);
}
