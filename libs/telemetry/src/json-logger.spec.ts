import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { JsonLogger } from './json-logger';
import { logContext } from './log-context';

describe('JsonLogger', () => {
  const lines: string[] = [];
  const logger = new JsonLogger('client-api', 'log', (line) => lines.push(line));
  const last = () => JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;

  beforeAll(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  afterAll(() => context.disable());

  it('writes one JSON object per line with level, service and context', () => {
    logger.warn('disk nearly full', 'Storage');
    expect(lines[lines.length - 1].endsWith('\n')).toBe(true);
    expect(last()).toEqual({
      time: expect.any(String),
      level: 'warn',
      service: 'client-api',
      context: 'Storage',
      msg: 'disk nearly full',
    });
  });

  it('names the tenant of the request being handled', () => {
    logContext.run({ tenant: 'one.test' }, () => logger.log('hello', 'Test'));
    expect(last()).toMatchObject({ tenant: 'one.test', msg: 'hello' });
  });

  it('carries the active trace and span IDs', () => {
    const span = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    context.with(trace.setSpan(context.active(), span), () => logger.log('traced'));
    expect(last()).toMatchObject({ trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' });
  });

  it('keeps the fields of a structured message', () => {
    logger.log({ msg: 'GET /x 200', status: 200 }, 'Access');
    expect(last()).toMatchObject({ context: 'Access', msg: 'GET /x 200', status: 200 });
  });

  it('leaves out levels below the configured one', () => {
    const before = lines.length;
    logger.debug('noise');
    expect(lines.length).toBe(before);
  });
});
