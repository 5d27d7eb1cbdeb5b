export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint, e.g. http://jaeger:4318/v1/traces. Without one, tracing stays off. */
  otlpEndpoint?: string;
  /** Share of new traces kept (0 to 1); a request that arrives inside a sampled trace is always traced. */
  sampleRatio?: number;
}

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
 * Answers a shutdown function that flushes pending spans.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<() => Promise<void>> {
  if (!options.otlpEndpoint) return async () => undefined;
  // Loaded only when tracing is on: the SDK and its instrumentations are ~70 MB of resident memory a process without tracing does not need.
  const { startTracingSdk } = await import('./tracing-sdk');
  return startTracingSdk({ ...options, otlpEndpoint: options.otlpEndpoint });
}
