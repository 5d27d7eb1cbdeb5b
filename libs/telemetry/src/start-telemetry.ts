import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint, e.g. http://jaeger:4318/v1/traces. Without one, tracing stays off. */
  otlpEndpoint?: string;
}

/**
 * Starts OpenTelemetry tracing for this process: HTTP, Postgres and Redis
 * spans come from instrumentations; the bus adds its own spans and carries
 * the context in message headers, so one trace follows a request from the
 * client-api through the room-server to sync.
 *
 * Must run before the instrumented modules are loaded (call it first in main).
 * Returns a shutdown function that flushes pending spans.
 */
export function startTelemetry(options: TelemetryOptions): () => Promise<void> {
  if (!options.otlpEndpoint) return async () => undefined;
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    traceExporter: new OTLPTraceExporter({ url: options.otlpEndpoint }),
    instrumentations: [new HttpInstrumentation(), new PgInstrumentation(), new IORedisInstrumentation()],
  });
  sdk.start();
  return () => sdk.shutdown();
}
