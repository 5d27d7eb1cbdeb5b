/**
 * The command line of `npm run bench -- <name>... [--option value]`: bench
 * names, and options a bench reads (`--servers lattice-pg,synapse`, or
 * `--servers=lattice-pg,synapse`).
 */
export function benchNames(argv = process.argv.slice(2)): string[] {
  return argv.filter(
    (arg, i) => !arg.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--') && !argv[i - 1].includes('=')),
  );
}

export function benchOption(name: string, argv = process.argv.slice(2)): string | undefined {
  const i = argv.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
}
