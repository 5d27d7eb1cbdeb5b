import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { PGlite } from '@electric-sql/pglite';
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';

const tracer = trace.getTracer('lattice-pglite');

/** What the Prisma adapter and the raw executor call on PGlite (and on a PGlite transaction). */
type Queryable = Pick<PGlite, 'query' | 'exec'>;

/**
 * PGlite with a client span per query, named and described as
 * @opentelemetry/instrumentation-pg names Postgres queries (`pg.query:SELECT
 * pglite`, db.system.name postgresql, db.query.text), so an embedded
 * deployment's traces show its database work as a services deployment's do.
 * PGlite runs in process, so no instrumentation sees it otherwise. As with
 * Postgres, only queries inside a trace get a span: housekeeping outside a
 * request or message would fill the traces.
 */
export function tracedPGlite<T extends Queryable>(db: T): T {
  return new Proxy(db, {
    get(target, property) {
      if (property === 'query')
        return (text: string, ...rest: unknown[]) =>
          traced(text, () => (target.query as (...args: unknown[]) => unknown)(text, ...rest));
      if (property === 'exec')
        return (script: string, ...rest: unknown[]) =>
          traced(script, () => (target.exec as (...args: unknown[]) => unknown)(script, ...rest));
      if (property === 'transaction')
        return (fn: (tx: Queryable) => unknown) =>
          (target as unknown as PGlite).transaction((tx) => fn(tracedPGlite(tx)) as Promise<unknown>);
      const value: unknown = Reflect.get(target, property, target);
      // PGlite keeps state in private fields: its methods must run with the PGlite itself as `this`.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function traced<R>(sql: string, run: () => R): R {
  if (!trace.getSpan(context.active())) return run();
  const operation = operationOf(sql);
  return tracer.startActiveSpan(
    `pg.query:${operation} pglite`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_NAMESPACE]: 'pglite',
        [ATTR_DB_OPERATION_NAME]: operation,
        [ATTR_DB_QUERY_TEXT]: sql,
      },
    },
    (span) => {
      const settle = <V>(result: V): V => {
        span.end();
        return result;
      };
      try {
        const result = run();
        if (!(result instanceof Promise)) return settle(result);
        return result.then(settle, (error: Error) => {
          span.recordException(error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
          span.end();
          throw error;
        }) as R;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        span.end();
        throw error;
      }
    },
  );
}

/** The statement's first word, upper-cased, as instrumentation-pg names spans (SELECT, INSERT, BEGIN...). */
export function operationOf(sql: string): string {
  const word = sql.trim().split(/\s/, 1)[0] ?? '';
  return word.toUpperCase().replace(/;$/, '');
}
