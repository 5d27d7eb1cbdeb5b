import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { MatrixExceptionFilter } from './exception-filter';
import { installMatrixHttpConventions } from './fastify-setup';
import { MatrixRequestGuard } from './request-guard';

export interface HttpAppOptions {
  /** Largest request body accepted; bigger ones get M_TOO_LARGE. */
  bodyLimitBytes: number;
  logger?: boolean;
}

/**
 * Creates a NestJS application on Fastify with the Matrix HTTP conventions
 * (CORS, M_NOT_JSON, M_UNRECOGNIZED, Matrix error bodies, tenant + token
 * guard). Every HTTP-serving service starts through here.
 */
export async function createMatrixHttpApp(module: Type<unknown>, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: options.bodyLimitBytes, trustProxy: true, routerOptions: { ignoreTrailingSlash: true } });
  installMatrixHttpConventions(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: options.logger === false ? false : ['error', 'warn', 'log'],
    bodyParser: false,
  });
  app.useGlobalFilters(new MatrixExceptionFilter());
  app.useGlobalGuards(app.get(MatrixRequestGuard));
  return app;
}

export type { INestApplication };
