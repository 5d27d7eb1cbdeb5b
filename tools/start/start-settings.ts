import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** How a command line starts node: the environment settings before it and node's own flags. */
export interface StartSettings {
  env: Record<string, string>;
  flags: string[];
}

/** The `NAME=value` words and `--flag` words of a command line, each kind in order. */
export function startSettingsOf(command: string): StartSettings {
  const words = command.split(' ');
  return {
    env: Object.fromEntries(words.map((w) => /^([A-Z_]+)=(.*)$/.exec(w)?.slice(1)).filter((kv) => kv !== undefined)),
    flags: words.filter((w) => w.startsWith('--')),
  };
}

/** `npm start`'s (package.json under `root`): what runs after its last `&&`, the build before it left out. */
export function npmStartSettings(root: string): StartSettings {
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts
    .start;
  return startSettingsOf(start.slice(start.lastIndexOf('&&') + 2));
}
