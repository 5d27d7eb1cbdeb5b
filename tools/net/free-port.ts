import { closeSync, mkdirSync, openSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Ports for servers a test or bench starts and must name up front (a bridge, Synapse, a services deployment).
 * Two things can take such a port between choosing it and the server binding it, and both failed CI runs
 * with EADDRINUSE: the kernel, which gives ports of its ephemeral range to outgoing connections (to Postgres,
 * NATS, a peer), and another test process choosing at the same moment. So ports come from below the
 * ephemeral range, and each is reserved machine-wide by creating a file exclusively.
 */

const LOWEST = 10_000;
/** A reservation older than this belongs to a run that is over (its process was killed before releasing). */
const STALE_MS = 10 * 60 * 1000;
const reservations = join(tmpdir(), 'lattice-test-ports');

function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // Not Linux: IANA's dynamic range starts here, and macOS uses it.
    return 49_152;
  }
}

const highest = ephemeralStart() - 1;
/** Processes start at different places so they rarely contend for the same reservations. */
let next = LOWEST + ((process.pid * 7_919) % (highest - LOWEST));

function reserve(port: number): boolean {
  const file = join(reservations, String(port));
  try {
    closeSync(openSync(file, 'wx'));
    return true;
  } catch {
    try {
      if (Date.now() - statSync(file).mtimeMs < STALE_MS) return false;
      utimesSync(file, new Date(), new Date());
      return true;
    } catch {
      return false;
    }
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** `count` consecutive loopback ports, reserved for this run and free now; returns the first. */
export async function freePorts(count: number): Promise<number> {
  mkdirSync(reservations, { recursive: true });
  for (let attempts = 0; attempts < 1_000; attempts++) {
    if (next + count > highest) next = LOWEST;
    const first = next;
    next += count;
    const ports = Array.from({ length: count }, (_, i) => first + i);
    if (!ports.every(reserve)) continue;
    if ((await Promise.all(ports.map(bindable))).every(Boolean)) return first;
  }
  throw new Error(`no ${count} consecutive free ports between ${LOWEST} and ${highest}`);
}

/** One loopback port, reserved for this run and free now. */
export function freePort(): Promise<number> {
  return freePorts(1);
}
