/** How much a Lattice process paused, from its Prometheus metrics (prom-client's default Node.js metrics). */
export interface Pauses {
  /** Garbage collection pauses of every kind since the process started, in seconds. */
  gcSeconds: number;
  /** Full (mark-compact) collections since the process started. */
  majorGcs: number;
  /** The longest event-loop delay since the metrics were last read, in milliseconds. */
  loopMaxMs: number;
}

/** prom-client samples the event-loop delay with a 10 ms timer: a loop never held up reads as 10 ms. */
const LOOP_SAMPLING_MS = 10;

/** Reads a Lattice process's pauses from GET /metrics (reading it also starts the event-loop delay histogram over). */
export async function readPauses(baseUrl: string): Promise<Pauses> {
  const lines = (await (await fetch(`${baseUrl}/metrics`)).text()).split('\n');
  // Every series of a metric whose labels include `label`, summed (a line is `name{labels} value`).
  const total = (name: string, label = '') =>
    lines
      .filter((line) => line.startsWith(`${name}{`) && line.includes(label))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    gcSeconds: total('nodejs_gc_duration_seconds_sum'),
    majorGcs: total('nodejs_gc_duration_seconds_count', 'kind="major"'),
    loopMaxMs: Math.max(0, 1000 * total('nodejs_eventloop_lag_max_seconds') - LOOP_SAMPLING_MS),
  };
}
