import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../tools/net/free-port';

/** A span as Jaeger's query API answers it. */
export interface JaegerSpan {
  spanID: string;
  operationName: string;
  processID: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export interface Jaeger {
  /** Where processes send traces (OTLP over HTTP). */
  otlpEndpoint: string;
  /** Jaeger's query API (the one its UI uses). */
  query(path: string): Promise<any>;
  stop(): Promise<void>;
}

/** The jaeger binary (Jaeger v2): LATTICE_JAEGER, else Go's bin folder (.ci/run builds it from the Go module proxy). */
export function jaegerBinary(): string | undefined {
  for (const candidate of [process.env.LATTICE_JAEGER, join(homedir(), 'go/bin/jaeger')])
    if (candidate && existsSync(candidate)) return candidate;
  return undefined;
}

/**
 * Jaeger v2 (an OpenTelemetry collector with Jaeger's storage and query) on
 * free loopback ports: an OTLP/HTTP receiver, in-memory storage, the query
 * API; its own metrics off, so nothing binds a fixed port.
 */
export async function startJaeger(binary: string): Promise<Jaeger> {
  const [otlpPort, queryPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const config = join(mkdtempSync(join(tmpdir(), 'lattice-jaeger-')), 'config.yaml');
  writeFileSync(
    config,
    `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [jaeger_storage_exporter] }
  telemetry:
    metrics: { level: none }
    logs: { level: warn }
extensions:
  jaeger_query:
    storage: { traces: memory }
    http: { endpoint: 127.0.0.1:${queryPort} }
    grpc: { endpoint: 127.0.0.1:${grpcPort} }
  jaeger_storage:
    backends:
      memory: { memory: { max_traces: 10000 } }
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${otlpPort} }
processors:
  batch: { timeout: 200ms }
exporters:
  jaeger_storage_exporter: { trace_storage: memory }
`,
  );
  const child: ChildProcess = spawn(binary, ['--config', config], {
    stdio: ['ignore', 'ignore', process.env.LATTICE_TEST_LOGS ? 'inherit' : 'ignore'],
  });
  const base = `http://127.0.0.1:${queryPort}`;
  const query = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    if (!response.ok) throw new Error(`Jaeger answered ${response.status} to ${path}`);
    return response.json();
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jaeger exited with ${child.exitCode}`);
    if (
      await query('/api/services').then(
        () => true,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error('Jaeger did not start');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return {
    otlpEndpoint: `http://127.0.0.1:${otlpPort}/v1/traces`,
    query,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
