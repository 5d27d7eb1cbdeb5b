import type { LoggerService, LogLevel } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { logContext } from './log-context';
import { logOutput } from './log-output';

const LEVELS: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];
/** Nest's levels under the names log collectors (Loki, Elasticsearch, Cloud Logging) expect. */
const LEVEL_NAMES: Record<LogLevel, string> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** One log line as JSON: level, service, tenant and the active trace's IDs, so a line leads to its trace. */
export function logRecord(
  level: LogLevel,
  service: string,
  message: unknown,
  context: string | undefined,
  now = new Date(),
): Record<string, unknown> {
  const span = trace.getActiveSpan()?.spanContext();
  const tenant = logContext.getStore()?.tenant;
  const fields =
    typeof message === 'object' && message !== null && !(message instanceof Error)
      ? (message as Record<string, unknown>)
      : { msg: message instanceof Error ? message.message : String(message) };
  return {
    time: now.toISOString(),
    level: LEVEL_NAMES[level],
    service,
    ...(context === undefined ? {} : { context }),
    ...(tenant === undefined ? {} : { tenant }),
    ...(span && span.traceId !== '00000000000000000000000000000000'
      ? { trace_id: span.traceId, span_id: span.spanId }
      : {}),
    ...fields,
  };
}

/**
 * Nest's logger writing JSON lines to stdout (config logging.format: json; batched, see log-output.ts),
 * for production, where a collector parses them; text (Nest's own) stays the
 * default for people reading a terminal.
 */
export class JsonLogger implements LoggerService {
  private minimum = LEVELS.indexOf('log');

  constructor(
    private readonly service: string,
    level: LogLevel = 'log',
    private readonly write: (line: string) => void = (line) => logOutput.write('stdout', line),
  ) {
    this.minimum = LEVELS.indexOf(level);
  }

  log(message: unknown, context?: string): void {
    this.emit('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack, context) or (message, context).
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack =
      rest.length === 2 && typeof rest[0] === 'string' ? rest[0] : message instanceof Error ? message.stack : undefined;
    this.emit('error', message, context, stack === undefined ? {} : { stack });
  }
  warn(message: unknown, context?: string): void {
    this.emit('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.emit('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.emit('verbose', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.emit('fatal', message, context);
  }

  setLogLevels(levels: LogLevel[]): void {
    this.minimum = Math.min(...levels.map((l) => LEVELS.indexOf(l)));
  }

  private emit(
    level: LogLevel,
    message: unknown,
    context: string | undefined,
    extra: Record<string, unknown> = {},
  ): void {
    if (LEVELS.indexOf(level) < this.minimum) return;
    this.write(`${JSON.stringify({ ...logRecord(level, this.service, message, context), ...extra })}\n`);
  }
}
