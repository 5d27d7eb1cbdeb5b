import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderIngressRoutes } from '@lattice/routing';
import { composeNginxConfig } from './compose-nginx';

/** Writes the copies of the route table kept in files: the Helm chart's and the compose deployment's nginx config. `npm run routes:generate`. */
const root = join(__dirname, '../../..');
const written: Array<[string, string]> = [
  [join(root, 'helm/lattice/files/routes.json'), renderIngressRoutes()],
  [join(root, 'deploy/compose/nginx.conf'), composeNginxConfig()],
];
for (const [path, text] of written) {
  writeFileSync(path, text);
  process.stdout.write(`wrote ${path}\n`);
}
