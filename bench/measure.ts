import { readFileSync } from 'node:fs';

/** Runs `fn` repeatedly for about `ms` milliseconds and returns operations per second. */
export function opsPerSecond(fn: () => void, ms = 1000): number {
  for (let i = 0; i < 100; i++) fn();
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 50; i++) fn();
    count += 50;
    now = process.hrtime.bigint();
  }
  return Math.round(count / (Number(now - start) / 1e9));
}

/** Median wall time of `runs` runs of `fn`, in milliseconds. */
export function medianMs(fn: () => void, runs = 7): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)] * 10) / 10;
}

/**
 * Starts counting how busy the machine's cores are (/proc/stat: every core's time that was not idle or waiting for
 * I/O, whoever used it); the function it gives stops and says how many cores were busy on average since.
 */
export function coresBusy(): () => number {
  const read = () => {
    // The first line sums every core: user nice system idle iowait irq softirq steal ..., in clock ticks.
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1, 9).map(Number);
    return { busy: ticks.reduce((a, b) => a + b, 0) - ticks[3] - ticks[4], at: performance.now() };
  };
  const before = read();
  return () => {
    const after = read();
    // 100 clock ticks a second on Linux.
    return Math.round(((after.busy - before.busy) / 100 / ((after.at - before.at) / 1000)) * 100) / 100;
  };
}
