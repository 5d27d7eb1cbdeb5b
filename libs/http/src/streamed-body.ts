import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

const STREAMED_BODY = 'latticeStreamedBody';

/**
 * The route takes its body as a stream (`request.body` is the request's
 * Readable, or undefined for an empty body) instead of parsed JSON: media
 * uploads, which may be far larger than any JSON body and are passed to
 * storage as they arrive, never held whole in memory. The handler applies
 * its own size limit while it reads.
 */
export const StreamedBody = () => RouteConfig({ [STREAMED_BODY]: true });

export function hasStreamedBody(request: FastifyRequest): boolean {
  return (request.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[STREAMED_BODY] === true;
}
