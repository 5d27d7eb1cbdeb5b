import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unrecognizedRequest } from './fastify-setup';
import { Errors, MatrixError } from './matrix-error';

/**
 * Renders every error as a Matrix error body. Framework errors (bad JSON,
 * body too large, unknown route) are mapped to the spec's errcodes so no
 * client ever sees a non-Matrix error shape.
 */
@Catch()
export class MatrixExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const error = exception instanceof NotFoundException ? unrecognizedRequest(host.switchToHttp().getRequest<FastifyRequest>()) : this.toMatrixError(exception);
    if (error.status >= 500) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    void reply.status(error.status).header('content-type', 'application/json').send(JSON.stringify(error.toJSON()));
  }

  private toMatrixError(exception: unknown): MatrixError {
    if (exception instanceof MatrixError) return exception;
    const fastifyCode = (exception as { code?: string })?.code;
    if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') return Errors.tooLarge('Request body too large');
    if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return Errors.notJson('Content-Type not supported');
    if (fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') return Errors.notJson('Empty JSON body');
    if (exception instanceof SyntaxError) return Errors.notJson(`Content not JSON: ${exception.message}`);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return new MatrixError(status, status === 403 ? 'M_FORBIDDEN' : 'M_UNKNOWN', exception.message);
    }
    return Errors.unknown('Internal server error');
  }
}
