import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceStart } from '../services/local-deployment';
import { npmStartSettings, startSettingsOf } from './start-settings';

/**
 * `npm start`, nx's serve target, the container image and the local services deployment each spell out how node
 * runs the server: the allocator settings and V8 flags measured for it (README "The embedded database"). One changed
 * alone would run users' servers unlike the measured one.
 */
describe('the commands that start the server', () => {
  const root = join(__dirname, '../..');
  const read = (path: string) => readFileSync(join(root, path), 'utf8');
  const fromNpm = npmStartSettings(root);

  it('are the same for nx serve as for npm start', () => {
    const project = JSON.parse(read('apps/homeserver/project.json')) as {
      targets: { serve: { options: { command: string } } };
    };
    expect(startSettingsOf(project.targets.serve.options.command)).toEqual(fromNpm);
  });

  it('are the same in the container image as for npm start', () => {
    const containerfile = read('deploy/Containerfile');
    const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(containerfile)![1]) as string[];
    const environment = [...containerfile.matchAll(/^\s+(?:ENV )?([A-Z_]+=\S+)/gm)].map((m) => m[1]);
    expect(startSettingsOf(entrypoint.join(' ')).flags).toEqual(fromNpm.flags);
    expect(startSettingsOf(environment.join(' ')).env).toMatchObject(fromNpm.env);
  });

  it('are the same for each process of the local services deployment as for npm start', () => {
    const { args, env } = serviceStart(join(root, 'dist'), 'sync');
    expect(args).toEqual([...fromNpm.flags, join(root, 'dist/apps/sync/src/main.js')]);
    expect(env).toEqual(fromNpm.env);
  });
});
