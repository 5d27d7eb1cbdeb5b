import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/** Runs background housekeeping without spans: a timer's queries would each start a trace of their own. */
export function untraced<T>(work: () => Promise<T>): Promise<T> {
  return context.with(suppressTracing(context.active()), work);
}
