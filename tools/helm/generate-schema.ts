import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartValuesSchema } from './values-schema';

/** `npm run chart:schema`: writes helm/lattice/values.schema.json from the configuration schema. */
const target = join(__dirname, '../../../helm/lattice/values.schema.json');
writeFileSync(target, `${JSON.stringify(chartValuesSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
