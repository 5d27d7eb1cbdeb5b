import { z } from 'zod';
import { MatrixError } from './matrix-error';
import { pathToNul, validateBody } from './validate-body';

const schema = z.object({
  name: z.string(),
  tags: z.array(z.string()).optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});

function errorOf(body: unknown): { status: number; errcode: string; message: string } {
  try {
    validateBody(schema, body);
  } catch (e) {
    const error = e as MatrixError;
    return { status: error.status, errcode: error.errcode, message: error.message };
  }
  throw new Error('no error');
}

describe('validateBody', () => {
  it('returns a body that matches the schema', () => {
    expect(validateBody(schema, { name: 'a' })).toEqual({ name: 'a' });
  });

  it('answers a missing required field with M_MISSING_PARAM', () => {
    expect(errorOf({})).toMatchObject({ status: 400, errcode: 'M_MISSING_PARAM' });
  });

  it('answers a field of the wrong type with M_BAD_JSON', () => {
    expect(errorOf({ name: 1 })).toMatchObject({ status: 400, errcode: 'M_BAD_JSON' });
  });

  it('answers JSON that is not an object with M_BAD_JSON', () => {
    expect(errorOf([])).toMatchObject({ status: 400, errcode: 'M_BAD_JSON' });
  });

  it('answers U+0000 in a string field with M_BAD_JSON naming the field', () => {
    expect(errorOf({ name: 'a', tags: ['ok', 'b\u0000'] })).toMatchObject({
      status: 400,
      errcode: 'M_BAD_JSON',
      message: expect.stringContaining('tags.1'),
    });
  });
});

describe('pathToNul', () => {
  it('finds U+0000 in a nested key', () => {
    expect(pathToNul({ extra: { 'k\u0000': 1 } })).toEqual(['extra', 'k\u0000']);
  });

  it('finds nothing in text without U+0000', () => {
    expect(pathToNul({ a: ['b', { c: 'd' }], e: 1, f: null })).toBeUndefined();
  });
});
