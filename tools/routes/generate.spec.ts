import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderIngressRoutes } from '@lattice/routing';
import { composeNginxConfig } from './compose-nginx';

it('keeps the Helm chart routes in step with libs/routing (run npm run routes:generate)', () => {
  const committed = readFileSync(join(__dirname, '../../helm/lattice/files/routes.json'), 'utf8');
  expect(committed).toBe(renderIngressRoutes());
});

it('keeps the compose nginx config in step with libs/routing (run npm run routes:generate)', () => {
  const committed = readFileSync(join(__dirname, '../../deploy/compose/nginx.conf'), 'utf8');
  expect(committed).toBe(composeNginxConfig());
});
