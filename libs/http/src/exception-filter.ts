import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RefusedError } from '@lattice/contracts';
import { unrecognizedRequest } from './fastify-setup';
import { Errors, MatrixError } from './matrix-error';

/**
 * Renders every error as a Matrix error body. Framework errors (body too
 * large, unknown route) are mapped to the spec's errcodes so no client ever
 * sees a non-Matrix error shape.
 */
@Catch()
export class MatrixExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const error =
      exception instanceof NotFoundException
        ? unrecognizedRequest(host.switchToHttp().getRequest<FastifyRequest>())
        : this.toMatrixError(exception);
    if (error.status >= 500)
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    void reply.status(error.status).header('content-type', 'application/json').send(JSON.stringify(error.toJSON()));
  }

  private toMatrixError(exception: unknown): MatrixError {
    if (exception instanceof MatrixError) return exception;
    if (exception instanceof RefusedError) return MatrixError.fromRefusal(exception.refusal);
    if (exception instanceof SyntaxError) return Errors.notJson(`Content not JSON: ${exception.message}`);
    // Nest hands Fastify's own errors (body over the route's limit, a body shorter than its Content-Length) over as HttpExceptions carrying only the status.
    if (exception instanceof HttpException) return fromHttpStatus(exception.getStatus(), exception.message);
    return Errors.unknown('Internal server error');
  }
}

function fromHttpStatus(status: number, message: string): MatrixError {
  if (status === 413) return Errors.tooLarge('Request body too large');
  if (status === 403) return Errors.forbidden(message);
  return new MatrixError(status, 'M_UNKNOWN', message);
}
