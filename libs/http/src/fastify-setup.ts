import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bodyLimitFor, JSON_MAX_NESTING_DEPTH } from './body-limits';
import { exceedsNestingDepth } from './json-nesting';
import { Errors, MatrixError } from './matrix-error';
import { requestParamProblem } from './request-params';
import { readBody } from './read-body';
import { hasStreamedBody } from './streamed-body';
import { installRequestObservation } from './request-observation';
import { decodeUtf8 } from './utf8';

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
 * often send none or text/plain, and other servers accept it). Checks run
 * cheapest first, each sparing the next work on a body it refuses: the size (reading
 * stops at the route's limit, M_TOO_LARGE: read-body.ts), UTF-8 (M_NOT_JSON: JSON
 * on the wire must be UTF-8, so other bytes are not JSON text), nesting
 * depth by a linear scan (M_BAD_JSON: the body may well be JSON, but no
 * Matrix endpoint takes a value that deep, so it is malformed for the
 * request), then JSON.parse (M_NOT_JSON). An empty body is `{}`.
 */
function parseJsonBody(body: Buffer): unknown {
  const text = decodeUtf8(body);
  if (text === undefined) throw Errors.notJson('Content not JSON: not valid UTF-8');
  if (text.trim() === '') return {};
  if (exceedsNestingDepth(text, JSON_MAX_NESTING_DEPTH))
    throw Errors.badJson(`JSON nested deeper than ${JSON_MAX_NESTING_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw Errors.notJson(`Content not JSON: ${(e as Error).message}`);
  }
}

/**
 * One parser for every content type, since Fastify picks parsers by content
 * type, not by route: a route marked @StreamedBody() gets the request stream
 * untouched (media uploads), every other route its body read under the
 * route's limit and parsed as JSON.
 */
function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', async (request: FastifyRequest, payload: Readable) => {
    if (hasStreamedBody(request)) return payload;
    const declared = request.headers['content-length'];
    return parseJsonBody(
      await readBody(payload, request.routeOptions.bodyLimit, declared === undefined ? undefined : Number(declared)),
    );
  });
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= bodyLimitFor(route.url);
  });
}

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;

/**
 * Unknown endpoints answer M_UNRECOGNIZED: 405 when the path exists for
 * another method, 404 otherwise (client-server-api "Common error codes").
 */
export function unrecognizedRequest(request: FastifyRequest): MatrixError {
  const path = request.url.split('?')[0];
  const otherMethod = HTTP_METHODS.some(
    (method) => method !== request.method && request.server.findRoute({ method, url: path }),
  );
  return otherMethod ? Errors.unrecognized(405) : Errors.unrecognized(404);
}

/**
 * Parameters no endpoint accepts answer M_INVALID_PARAM before any handler
 * runs (see request-params.ts), so each handler need not guard against them.
 */
function installParamCheck(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const problem = requestParamProblem(
      (request.params ?? {}) as Record<string, unknown>,
      (request.query ?? {}) as Record<string, unknown>,
    );
    if (problem) throw Errors.invalidParam(problem);
  });
}

/**
 * JSON answers say `application/json`, as the spec's examples do, without
 * Fastify's `; charset=utf-8`: JSON is UTF-8 by definition (RFC 8259), and
 * some clients and test suites compare the header whole.
 */
function installJsonContentType(app: FastifyInstance): void {
  app.addHook('onSend', async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json;'))
      reply.header('content-type', 'application/json');
    return payload;
  });
}

/** Installs the Matrix HTTP conventions on a Fastify instance before routes are registered. */
export function installMatrixHttpConventions(
  app: FastifyInstance,
  options: { accessLog: boolean } = { accessLog: true },
): void {
  installRequestObservation(app, options);
  installCors(app);
  installJsonParser(app);
  installParamCheck(app);
  installJsonContentType(app);
}
