import { PGlite } from '@electric-sql/pglite';
import { escapeLiteral } from 'pg';
import { literal, withLiterals } from './sql-literals';

describe('parameters written as SQL literals', () => {
  let pglite: PGlite;
  const same = async (cast: string, value: unknown) => {
    const text = `SELECT $1::${cast} AS v`;
    const [asParameter] = (await pglite.query<{ v: unknown }>(text, [value])).rows;
    const [asLiteral] = (await pglite.query<{ v: unknown }>(withLiterals(text, [value]))).rows;
    expect(asLiteral.v).toEqual(asParameter.v);
  };

  beforeAll(async () => {
    pglite = await PGlite.create();
  }, 60_000);
  afterAll(() => pglite.close());

  it('reads a text with quotes, backslashes, newlines and non-ASCII as the parameter would be read', async () => {
    await same('text', `it's a "quote" \\ and \\\\ back'slash\nnew line; Ω 🌹`);
  });

  it('reads JSON with escaped characters byte for byte', async () => {
    await same('text', JSON.stringify({ body: 'a "b" \\ c \u0001 \n', x: ['\\u0000'] }));
  });

  it('reads arrays whose elements hold commas, braces, quotes, backslashes and nulls', async () => {
    await same('text[]', ['a,b', '{c}', 'd"e', 'f\\g', null, '', 'NULL']);
  });

  it('reads integers, bigints and booleans, alone and in arrays', async () => {
    await same('bigint', 9_007_199_254_740_993n);
    await same('bigint[]', [1n, -2n, null]);
    await same('int[]', [1, 2, 3]);
    await same('boolean[]', [true, false, null]);
  });

  it("quotes a text as node-pg's escapeLiteral does", () => {
    for (const text of ['plain', "it's", 'back\\slash', "both ' and \\", '', "''\\\\''"])
      expect(literal(text)).toBe(escapeLiteral(text));
  });

  it('writes $10 as the tenth value, not the first followed by a zero', () => {
    const values = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(withLiterals('SELECT $1, $10', values)).toBe("SELECT '1', '10'");
  });

  it('refuses a value it has no literal for', () => {
    expect(() => withLiterals('SELECT $1', [1.5])).toThrow('No SQL literal');
  });
});
