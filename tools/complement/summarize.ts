import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Summarises Complement runs (test/complement/run): RESULTS_DIR/<pairing>-<package>.json, the output
 * of `go test -json`. Per run: top-level and leaf tests passed / failed / skipped, the failing
 * top-level tests, and the skip reasons counted. Each pairing with Lattice is compared with the same
 * pairing with Synapse in Lattice's place (lattice+synapse with synapse+synapse): the leaf tests that
 * fail with Lattice and pass with Synapse are listed, with Lattice's failure message, and written to
 * FAILS_FILE (tab-separated: pairing, package, test, message).
 *
 *   node dist/tools/complement/summarize.js RESULTS_DIR [FAILS_FILE]
 */

type Outcome = 'pass' | 'fail' | 'skip';

interface Run {
  pairing: string;
  pkg: string;
  outcomes: Map<string, Outcome>;
  output: Map<string, string[]>;
}

interface GoTestEvent {
  Action?: string;
  Test?: string;
  Output?: string;
}

const ANSI = /\x1b\[[0-9;]*m/g;

function loadRun(file: string, pairing: string, pkg: string): Run {
  const outcomes = new Map<string, Outcome>();
  const output = new Map<string, string[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    let event: GoTestEvent;
    try {
      event = JSON.parse(line) as GoTestEvent;
    } catch {
      continue; // go's own build errors are plain text
    }
    const test = event.Test;
    if (!test) continue;
    if (event.Action === 'output') output.set(test, [...(output.get(test) ?? []), event.Output ?? '']);
    else if (event.Action === 'pass' || event.Action === 'fail' || event.Action === 'skip')
      outcomes.set(test, event.Action);
  }
  // A test that started and never finished (a panic, the timeout) failed.
  for (const test of output.keys()) if (!outcomes.has(test)) outcomes.set(test, 'fail');
  return { pairing, pkg, outcomes, output };
}

function leaves(run: Run): string[] {
  const parents = new Set<string>();
  for (const test of run.outcomes.keys()) {
    const parts = test.split('/');
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join('/'));
  }
  return [...run.outcomes.keys()].filter((test) => !parents.has(test));
}

function count(run: Run, tests: string[]): string {
  const n = { pass: 0, fail: 0, skip: 0 };
  for (const test of tests) n[run.outcomes.get(test)!]++;
  return `${n.pass} / ${n.fail} / ${n.skip}`;
}

/** The test's own lines of output (no request logs, no === / --- markers), without colours. */
function messages(run: Run, test: string): string[] {
  return (run.output.get(test) ?? [])
    .map((line) => line.replace(ANSI, '').trim())
    .filter(
      (line) =>
        line &&
        !/^(===|---) /.test(line) &&
        !line.includes('[CSAPI]') &&
        !line.includes('[SSAPI]') &&
        !line.includes('WARNING:'),
    );
}

const TELLING = /MatchResponse|non-2xx|timed out|[Ee]xpected|want|got |failed|[Ee]rror|missing|unexpected|not /;

function failureReason(run: Run, test: string): string {
  const lines = messages(run, test).filter((line) => !/^\d{4}\/\d\d\/\d\d /.test(line)); // Complement's servers' logs
  const telling = lines.filter((line) => TELLING.test(line) && !line.includes('SendEventSynced waiting'));
  return (telling.at(-1) ?? lines.at(-1) ?? '')
    .replace(/^\S+\.go:\d+: /, '')
    .replace(/http:\/\/127\.0\.0\.\d:\d+/g, '')
    .slice(0, 240);
}

function skipReason(run: Run, test: string): string {
  const last = messages(run, test).at(-1);
  return last ? last.replace(/^\S+\.go:\d+: /, '').replace(/\d+/g, 'N') : '(parent skipped)';
}

function referenceOf(pairing: string): string | undefined {
  if (!pairing.includes('lattice')) return undefined;
  return pairing.split('+').length === 1 ? 'synapse' : 'synapse+synapse';
}

function main(): void {
  const [dir, failsFile] = process.argv.slice(2);
  if (!dir) throw new Error('usage: summarize.js RESULTS_DIR [FAILS_FILE]');
  const runs = new Map<string, Run>();
  for (const name of readdirSync(dir).sort()) {
    const match = /^(.+)-(csapi|tests)\.json$/.exec(name);
    if (match) runs.set(`${match[1]} ${match[2]}`, loadRun(join(dir, name), match[1], match[2]));
  }
  const out: string[] = ['Complement results (pass / fail / skip)', ''];
  out.push(`${'pairing'.padEnd(18)}${'package'.padEnd(9)}${'top-level'.padEnd(18)}leaf tests`);
  for (const run of runs.values()) {
    const top = [...run.outcomes.keys()].filter((test) => !test.includes('/'));
    out.push(`${run.pairing.padEnd(18)}${run.pkg.padEnd(9)}${count(run, top).padEnd(18)}${count(run, leaves(run))}`);
  }
  const fails: string[] = [];
  for (const run of runs.values()) {
    const failing = [...run.outcomes]
      .filter(([test, outcome]) => outcome === 'fail' && !test.includes('/'))
      .map(([test]) => test);
    out.push(
      '',
      `${run.pairing} ${run.pkg}: failing top-level tests (${failing.length})`,
      ...failing.map((test) => `  ${test}`),
    );
    const skips = new Map<string, number>();
    for (const test of leaves(run)) {
      if (run.outcomes.get(test) === 'skip')
        skips.set(skipReason(run, test), (skips.get(skipReason(run, test)) ?? 0) + 1);
    }
    out.push(
      `${run.pairing} ${run.pkg}: skip reasons`,
      ...[...skips]
        .sort((a, b) => b[1] - a[1])
        .map(([reason, n]) => `  ${String(n).padStart(3)}  ${reason.slice(0, 160)}`),
    );
    const reference = runs.get(`${referenceOf(run.pairing)} ${run.pkg}`);
    if (!reference) continue;
    const regressions = leaves(run).filter(
      (test) => run.outcomes.get(test) === 'fail' && reference.outcomes.get(test) === 'pass',
    );
    out.push(`${run.pairing} ${run.pkg}: failing here and passing on ${reference.pairing} (${regressions.length})`);
    for (const test of regressions) {
      const reason = failureReason(run, test);
      out.push(`  ${test}\n      ${reason}`);
      fails.push([run.pairing, run.pkg, test, reason].join('\t'));
    }
  }
  if (failsFile) writeFileSync(failsFile, fails.map((line) => `${line}\n`).join(''));
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
