import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of this process, served at /metrics. prom-client rather
 * than OpenTelemetry metrics: Prometheus scrapes a pull endpoint, which
 * prom-client serves directly with Node's runtime metrics (event-loop lag,
 * GC, heap) built in, while the OTel SDK needs its Prometheus exporter (a
 * second HTTP server) or a collector; traces keep going out over OTLP.
 *
 * One registry per process, as one tracer provider: the metrics are module
 * singletons, so code without dependency injection (the bus, the batcher)
 * records into the same place as the services.
 */
export const metricsRegistry = new Registry();

let defaultsStarted = false;

/** Node's own metrics (event-loop lag among them), labelled with the process's role. Once per process. */
export function startProcessMetrics(role: string): void {
  metricsRegistry.setDefaultLabels({ service: role });
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ register: metricsRegistry, eventLoopMonitoringPrecision: 10 });
}

const registers = [metricsRegistry];
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const httpRequests = new Counter({
  name: 'lattice_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  registers,
});

export const httpRequestDuration = new Histogram({
  name: 'lattice_http_request_duration_seconds',
  help: 'Time from request to response, by method, route pattern and status code (long-polls included)',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

export const roomInputBatchSize = new Histogram({
  name: 'lattice_room_input_batch_size',
  help: 'Room inputs handled together in one batch (group commit)',
  buckets: [1, 2, 5, 10, 20, 50, 100],
  registers,
});

export const roomInputBatchDuration = new Histogram({
  name: 'lattice_room_input_batch_duration_seconds',
  help: 'Time to handle one batch of room inputs, from planning to replies',
  buckets: LATENCY_BUCKETS,
  registers,
});

export const roomPersistDuration = new Histogram({
  name: 'lattice_room_persist_duration_seconds',
  help: 'Time of the persist transaction of a batch of events',
  buckets: LATENCY_BUCKETS,
  registers,
});

export const syncWakeupLatency = new Histogram({
  name: 'lattice_sync_wakeup_latency_seconds',
  help: "Time from a local event's origin_server_ts to the sync worker waking the long-polls it concerns",
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers,
});

/** A sample of a gauge taken at scrape time. */
export interface GaugeSample {
  labels?: Record<string, string | number>;
  value: number;
}

/**
 * A gauge read when Prometheus scrapes (queue depths, pool use, consumer lag):
 * its sources are added by whatever owns the numbers, so nothing polls
 * between scrapes. Several sources add up their samples.
 */
export class SampledGauge {
  private readonly sources = new Set<() => Promise<GaugeSample[]> | GaugeSample[]>();
  readonly gauge: Gauge<string>;

  constructor(name: string, help: string, labelNames: string[]) {
    const sources = this.sources;
    this.gauge = new Gauge({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        this.reset();
        for (const source of sources) for (const sample of await source()) this.set(sample.labels ?? {}, sample.value);
      },
    });
  }

  /** Adds a source; the returned function removes it (a closing server). */
  addSource(source: () => Promise<GaugeSample[]> | GaugeSample[]): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }
}

export const consumerPending = new SampledGauge(
  'lattice_jetstream_consumer_pending',
  'Messages of a JetStream consumer not yet delivered (lag): room-input partitions held by this process, and its output consumers',
  ['consumer', 'partition'],
);

export const consumerAckPending = new SampledGauge(
  'lattice_jetstream_consumer_ack_pending',
  'Messages delivered to a JetStream consumer and not yet acknowledged',
  ['consumer', 'partition'],
);

export const syncWaiters = new SampledGauge('lattice_sync_waiters', 'Long-polls waiting for something to happen', []);

export const federationQueueDepth = new SampledGauge(
  'lattice_federation_queue_depth',
  'Items in the federation outbox waiting to be sent, per destination (the 50 deepest)',
  ['destination'],
);

export const dbPoolConnections = new SampledGauge(
  'lattice_db_pool_connections',
  'Postgres pool connections by state (total, idle, waiting clients)',
  ['pool', 'state'],
);

export const embeddedDatabaseHeap = new SampledGauge(
  'lattice_embedded_database_heap_bytes',
  "JavaScript heap in use on the embedded database's thread (PGlite), which Node's heap metrics (the main thread's) leave out",
  [],
);

/** Every Lattice metric name (histograms also expose _bucket, _sum and _count), for the dashboard check. */
export function latticeMetricNames(): string[] {
  return metricsRegistry.getMetricsAsArray().map((m) => m.name);
}
