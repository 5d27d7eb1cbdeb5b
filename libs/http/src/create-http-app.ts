import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import { INestApplication, Type, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { rewriteLegacyR0 } from '@lattice/routing';
import { JSON_BODY_LIMIT_BYTES } from './body-limits';
import { MatrixExceptionFilter } from './exception-filter';
import { installMatrixHttpConventions } from './fastify-setup';
import { MatrixRequestGuard } from './request-guard';

export interface HttpAppOptions {
  /** false: silent (tests); a LoggerService (the JSON logger); default: Nest's text logger. */
  logger?: boolean | LoggerService | LogLevel[];
  /** One log line per answered request (default on). */
  accessLog?: boolean;
}

/**
 * Creates a NestJS application on Fastify with the Matrix HTTP conventions
 * (CORS, M_NOT_JSON, M_UNRECOGNIZED, Matrix error bodies, tenant + token
 * guard). Every HTTP-serving service starts through here.
 */
export async function createMatrixHttpApp(
  module: Type<unknown>,
  options: HttpAppOptions = {},
): Promise<NestFastifyApplication> {
  let routing: RequestHandler | undefined;
  const adapter = new FastifyAdapter({
    // Routes get their own limit (body-limits.ts); this one covers requests that match no route.
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    trustProxy: true,
    // Fastify gives a plugin 10 s to load, counted in wall time, and Nest registers its middleware plugin while it
    // builds the application around it: on a loaded machine (the test run's workers each starting a server) that
    // once took longer, and the server failed to start ("Plugin did not start in time"). A start is slow, not hung.
    pluginTimeout: 120_000,
    // Fastify refuses path parameters over 100 characters by default; the spec allows profile keys of
    // 255 bytes and IDs of 255 bytes, which percent-encoding can triple.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    // r0.6.1 clients: their paths are served by the v3 routes (libs/routing legacy-r0.ts).
    rewriteUrl: (request: IncomingMessage) => rewriteLegacyR0(request.url ?? '/'),
    // Keeps Fastify's request handler, so listenTls can serve the same routes on a second, TLS, port.
    serverFactory: (handler: RequestHandler) => {
      routing = handler;
      return keepingIdleConnections(createServer(handler));
    },
  });
  installMatrixHttpConventions(adapter.getInstance(), { accessLog: options.accessLog ?? true });
  const servers = new Set<Server>();
  const answering = answersUnderway(adapter.getInstance());
  // Fastify closes after Nest's destroy hooks have run (the sync service's stop answers its long-polls at once):
  // the answers under way are written first (a long-poll cut off here got its connection closed instead of its
  // answer), then the connections still open, idle ones that server.close would wait up to IDLE_CONNECTION_MS for.
  adapter.getInstance().addHook('preClose', async () => {
    await answering.settled(ANSWERS_AT_CLOSE_MS);
    for (const server of [adapter.getHttpServer() as Server, ...servers]) server.closeAllConnections();
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger:
      options.logger === false
        ? false
        : options.logger === true || options.logger === undefined
          ? ['error', 'warn', 'log']
          : options.logger,
    bodyParser: false,
  });
  app.useGlobalFilters(new MatrixExceptionFilter());
  app.useGlobalGuards(app.get(MatrixRequestGuard));
  routes.set(app, { handler: routing!, servers });
  return app;
}

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * How long an idle keep-alive connection stays open: longer than the idle timeouts of what reuses them (nginx's
 * upstream keepalive_timeout, 60 s; clients follow the Keep-Alive hint), so they close first. With Node's 5 s a
 * proxy or client sending on a connection the server was closing got a reset (a failed 20 MB upload in the tests,
 * a 502 behind nginx). Fastify sets its own 72 s only on servers it creates, not those of a serverFactory.
 */
const IDLE_CONNECTION_MS = 72_000;

/** The longest closing waits for the answers under way: a Kubernetes pod has 30 s from SIGTERM by default. */
const ANSWERS_AT_CLOSE_MS = 10_000;

/** The requests being answered, so that closing can wait for their answers. */
function answersUnderway(instance: FastifyInstance): { settled(maxMs: number): Promise<void> } {
  const underway = new Set<string>();
  let onSettled: (() => void) | undefined;
  const answered = async (request: FastifyRequest) => {
    underway.delete(request.id);
    if (underway.size === 0) onSettled?.();
  };
  instance.addHook('onRequest', async (request) => {
    underway.add(request.id);
  });
  instance.addHook('onResponse', answered);
  instance.addHook('onRequestAbort', answered);
  return {
    settled: (maxMs) =>
      underway.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, maxMs);
            onSettled = () => {
              clearTimeout(timer);
              resolve();
            };
          }),
  };
}

function keepingIdleConnections<S extends Server>(server: S): S {
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  return server;
}

/** Each app's request handler and the servers listenTls added, which close with it. */
const routes = new WeakMap<NestFastifyApplication, { handler: RequestHandler; servers: Set<Server> }>();

/**
 * Serves the app's routes over TLS on another port as well: the federation
 * port (8448 by default), for deployments without a TLS terminator in
 * front. The server closes with the app.
 */
export async function listenTls(
  app: NestFastifyApplication,
  options: { host: string; port: number; cert: string; key: string },
): Promise<TlsServer> {
  const { handler, servers } = routes.get(app)!;
  const server = keepingIdleConnections(createTlsServer({ cert: options.cert, key: options.key }, handler));
  servers.add(server);
  await new Promise<void>((resolve, reject) =>
    server.once('error', reject).listen(options.port, options.host, () => resolve()),
  );
  app.getHttpServer().once('close', () => server.close());
  return server;
}

export type { INestApplication };
