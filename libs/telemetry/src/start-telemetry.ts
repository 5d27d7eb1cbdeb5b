import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint, e.g. http://jaeger:4318/v1/traces. Without one, tracing stays off. */
  otlpEndpoint?: string;
  /** Share of new traces kept (0 to 1); a request that arrives inside a sampled trace is always traced. */
  sampleRatio?: number;
}

/** Paths of the process rather than of Matrix: probes every few seconds and scrapes would drown the traces. */
const UNTRACED_PATHS = /^\/(health\/|metrics(\?|$))/;

/**
 * The service name traces carry: the configured name with the role
 * appended (lattice-client-api), unless the name already ends with it (a
 * deployment that names each role itself must not get lattice-client-api-client-api).
 */
export function serviceNameFor(base: string, role: string): string {
  return role === 'all' || base.endsWith(`-${role}`) ? base : `${base}-${role}`;
}

/**
 * Starts OpenTelemetry tracing for this process: HTTP, Postgres and Redis
 * spans come from instrumentations; the bus adds its own spans and carries
 * the context in message headers, so one trace follows a request from the
 * client-api through the room-server to sync. HTTP server spans are named by
 * route (libs/http sets it once Fastify has matched the request).
 *
 * Must run before the instrumented modules are loaded (call it first in main).
 * Returns a shutdown function that flushes pending spans.
 */
export function startTelemetry(options: TelemetryOptions): () => Promise<void> {
  if (!options.otlpEndpoint) return async () => undefined;
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    traceExporter: new OTLPTraceExporter({ url: options.otlpEndpoint }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? '') }),
      // Spans only inside a trace: a pg query with no request or message around it is housekeeping.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return () => sdk.shutdown();
}
