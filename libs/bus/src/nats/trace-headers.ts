import { context, propagation, type Context } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from 'nats';

/**
 * W3C trace context in NATS message headers: no OpenTelemetry
 * instrumentation exists for NATS, so the bus carries `traceparent` itself
 * and a trace follows a request across every hop.
 */
export function headersWithTrace(): MsgHdrs {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const headers = natsHeaders();
  for (const [key, value] of Object.entries(carrier)) headers.set(key, value);
  return headers;
}

export function traceContextOf(headers: MsgHdrs | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const key of headers?.keys() ?? []) carrier[key.toLowerCase()] = headers!.get(key);
  return propagation.extract(context.active(), carrier);
}
