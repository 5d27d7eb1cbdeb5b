import { HttpException, type ArgumentsHost } from '@nestjs/common';
import { Refusals } from '@lattice/contracts';
import { MatrixExceptionFilter } from './exception-filter';
import { Errors } from './matrix-error';

/** What a client sees for an exception: the status and body the filter sends. */
function rendered(exception: unknown): { status: number; body: Record<string, unknown> } {
  const sent: { status: number; body: Record<string, unknown> } = { status: 0, body: {} };
  const reply = {
    status: (status: number) => ((sent.status = status), reply),
    header: () => reply,
    send: (body: string) => ((sent.body = JSON.parse(body) as Record<string, unknown>), reply),
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({}) }),
  } as unknown as ArgumentsHost;
  new MatrixExceptionFilter().catch(exception, host);
  return sent;
}

describe('MatrixExceptionFilter', () => {
  it('renders a MatrixError as thrown', () => {
    expect(rendered(Errors.missingParam('Missing field: x'))).toEqual({
      status: 400,
      body: { errcode: 'M_MISSING_PARAM', error: 'Missing field: x' },
    });
  });

  it('renders a refusal thrown by shared code (RefusedError) as the Matrix error it carries', () => {
    expect(rendered(Refusals.tooLarge('Event is too large'))).toEqual({
      status: 413,
      body: { errcode: 'M_TOO_LARGE', error: 'Event is too large' },
    });
  });

  it("renders Fastify's body-too-large error, as Nest passes it on, as M_TOO_LARGE", () => {
    expect(rendered(new HttpException('Request body is too large', 413))).toMatchObject({
      status: 413,
      body: { errcode: 'M_TOO_LARGE' },
    });
  });

  it('keeps the 4xx status of other framework errors', () => {
    expect(rendered(new HttpException('Request body size did not match Content-Length', 400))).toMatchObject({
      status: 400,
      body: { errcode: 'M_UNKNOWN' },
    });
  });

  it('renders a SyntaxError as M_NOT_JSON', () => {
    expect(rendered(new SyntaxError('Unexpected token'))).toMatchObject({
      status: 400,
      body: { errcode: 'M_NOT_JSON' },
    });
  });

  it('renders anything else as a 500 M_UNKNOWN without its details', () => {
    expect(rendered(new TypeError('secret internals'))).toEqual({
      status: 500,
      body: { errcode: 'M_UNKNOWN', error: 'Internal server error' },
    });
  });
});
