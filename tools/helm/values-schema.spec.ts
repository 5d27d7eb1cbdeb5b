import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartValuesSchema } from './values-schema';

describe("the chart's values schema", () => {
  it('is the one the configuration schema makes (npm run chart:schema writes it)', () => {
    const committed: unknown = JSON.parse(
      readFileSync(join(__dirname, '../../helm/lattice/values.schema.json'), 'utf8'),
    );
    expect(committed).toEqual(chartValuesSchema());
  });
});
