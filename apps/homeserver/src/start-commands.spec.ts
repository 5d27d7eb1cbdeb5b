import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm start`, nx's serve target and the container image each spell out how node runs the server: the allocator
 * settings and V8 flags measured for it (README "The embedded database"). One changed alone would run users'
 * servers unlike the measured one.
 */
describe('the commands that start the single process', () => {
  const root = join(__dirname, '../../..');
  const read = (path: string) => readFileSync(join(root, path), 'utf8');
  /** The settings and flags of a shell command line, in order. */
  const settingsOf = (command: string) => command.split(' ').filter((w) => /^[A-Z_]+=|^--/.test(w));

  const npmStart = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
  const fromNpm = settingsOf(npmStart.slice(npmStart.lastIndexOf('&&') + 2));

  it('are the same for nx serve as for npm start', () => {
    const project = JSON.parse(read('apps/homeserver/project.json')) as {
      targets: { serve: { options: { command: string } } };
    };
    expect(settingsOf(project.targets.serve.options.command)).toEqual(fromNpm);
  });

  it('are the same in the container image as for npm start', () => {
    const containerfile = read('deploy/Containerfile');
    const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(containerfile)![1]) as string[];
    const environment = [...containerfile.matchAll(/^\s+(?:ENV )?([A-Z_]+=\S+)/gm)].map((m) => m[1]);
    expect(entrypoint.filter((w) => w.startsWith('--'))).toEqual(fromNpm.filter((w) => w.startsWith('--')));
    expect(environment).toEqual(expect.arrayContaining(fromNpm.filter((w) => !w.startsWith('--'))));
  });
});
