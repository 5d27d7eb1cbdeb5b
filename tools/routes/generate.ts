import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderIngressRoutes } from '@lattice/routing';

/** Writes the Helm chart's copy of the route table; `npm run routes:generate`. */
const target = join(__dirname, '../../../helm/lattice/files/routes.json');
writeFileSync(target, renderIngressRoutes());
console.log(`wrote ${target}`);
