import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricsRegistry, startProcessMetrics } from './metrics';

/** The Grafana dashboard in deploy/ must only query metrics Lattice exposes: a renamed metric would leave an empty panel. */
describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(
    readFileSync(join(__dirname, '../../../deploy/grafana/lattice-dashboard.json'), 'utf8'),
  ) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  const PROMQL_WORDS = new Set([
    'sum',
    'by',
    'rate',
    'histogram_quantile',
    'max',
    'topk',
    'le',
    'route',
    'status',
    'service',
    'instance',
    'consumer',
    'partition',
    'destination',
    'pool',
    'state',
  ]);

  function exposedSeries(): Set<string> {
    startProcessMetrics('test');
    // prom-client declares `type` a numeric enum, but a metric reports its type's name.
    const names = metricsRegistry
      .getMetricsAsArray()
      .flatMap((m) =>
        String(m.type) === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
      );
    return new Set(names);
  }

  it('queries only metrics that exist', () => {
    const exposed = exposedSeries();
    const queried = dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) =>
        (t.expr.replace(/\{[^}]*\}|"[^"]*"|\[[^\]]*\]/g, '').match(/[a-z_][a-z0-9_]*/g) ?? []).filter(
          (word) => !PROMQL_WORDS.has(word),
        ),
      ),
    );
    expect(queried.length).toBeGreaterThan(10);
    expect(queried.filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('has a panel for each thing operations watch', () => {
    const text = JSON.stringify(dashboard.panels.map((p) => p.targets.map((t) => t.expr)));
    for (const metric of [
      'lattice_http_request_duration_seconds',
      'lattice_room_input_batch_size',
      'lattice_room_persist_duration_seconds',
      'lattice_jetstream_consumer_pending',
      'lattice_sync_waiters',
      'lattice_sync_wakeup_latency_seconds',
      'lattice_federation_queue_depth',
      'lattice_db_pool_connections',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(text).toContain(metric);
    }
  });
});
