import fc from 'fast-check';
import type { Located, Schema, SpecFiles } from './openapi-operations';

/**
 * Identifiers that exist on the server under test, so valid-looking requests
 * get past "no such room" and reach the code behind it.
 */
export interface KnownValues {
  userId: string;
  roomId: string;
  roomAlias: string;
  eventId: string;
  serverName: string;
  deviceId: string;
}

/** The known value a string in a field or parameter of this name and format most likely wants. */
function knownString(known: KnownValues, name: string, format: unknown): string | undefined {
  const key = name.toLowerCase().replace(/_/g, '');
  if (format === 'mx-user-id' || key === 'userid' || key === 'sender') return known.userId;
  if (format === 'mx-room-id' || key === 'roomid') return known.roomId;
  if (format === 'mx-room-alias' || key === 'roomalias' || key === 'alias') return known.roomAlias;
  if (format === 'mx-event-id' || key === 'eventid') return known.eventId;
  if (format === 'mx-server-name' || key === 'servername' || key === 'server' || key === 'via' || key === 'origin')
    return known.serverName;
  if (key === 'deviceid') return known.deviceId;
  if (key === 'roomidoralias') return known.roomId;
  if (key === 'eventtype' || key === 'type') return 'm.room.message';
  if (key === 'statekey') return '';
  return undefined;
}

/** A JSON object schema's parts, gathered through allOf, each property with the file it resolves in. */
interface ObjectParts {
  properties: Map<string, Located>;
  required: Set<string>;
  additional: Located[];
}

function objectParts(
  spec: SpecFiles,
  located: Located,
  parts: ObjectParts = { properties: new Map(), required: new Set(), additional: [] },
): ObjectParts {
  const { schema, file } = spec.deref(located);
  for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>))
    parts.properties.set(name, { schema: property, file });
  for (const name of (schema.required ?? []) as string[]) parts.required.add(name);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
    parts.additional.push({ schema: schema.additionalProperties as Schema, file });
  for (const pattern of Object.values((schema.patternProperties ?? {}) as Record<string, Schema>))
    parts.additional.push({ schema: pattern, file });
  for (const part of (schema.allOf ?? []) as Schema[]) objectParts(spec, { schema: part, file }, parts);
  return parts;
}

const MAX_DEPTH = 5;

/**
 * Values that satisfy (most of) a schema: the right types and shapes, the
 * spec's examples, known identifiers for identifier fields. Patterns and
 * length bounds are not enforced: the server must cope with near misses too.
 */
export function schemaArbitrary(
  spec: SpecFiles,
  located: Located,
  known: KnownValues,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const { schema, file } = spec.deref(located);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (alternatives)
    return fc.oneof(
      ...alternatives.map((alternative) => schemaArbitrary(spec, { schema: alternative, file }, known, name, depth)),
    );
  const types = Array.isArray(schema.type)
    ? (schema.type as string[])
    : schema.type
      ? [schema.type as string]
      : schema.properties || schema.allOf
        ? ['object']
        : [];
  if (types.length > 1)
    return fc.oneof(
      ...types.map((type) => schemaArbitrary(spec, { schema: { ...schema, type }, file }, known, name, depth)),
    );
  const examples = [schema.example, ...((schema.examples ?? []) as unknown[])].filter((e) => e !== undefined);
  const withExamples = (generated: fc.Arbitrary<unknown>) =>
    examples.length > 0 ? fc.oneof(generated, fc.constantFrom(...examples)) : generated;
  switch (types[0]) {
    case 'object': {
      if (depth >= MAX_DEPTH) return fc.constant({});
      const parts = objectParts(spec, { schema, file });
      const record = fc.record(
        Object.fromEntries(
          [...parts.properties].map(([key, property]) => [key, schemaArbitrary(spec, property, known, key, depth + 1)]),
        ),
        { requiredKeys: [...parts.required].filter((key) => parts.properties.has(key)) },
      );
      if (parts.additional.length === 0) return record;
      const extra = fc.dictionary(
        fc.string({ maxLength: 12 }),
        fc.oneof(...parts.additional.map((a) => schemaArbitrary(spec, a, known, '', depth + 1))),
        { maxKeys: 2 },
      );
      return fc.tuple(extra, record).map(([more, fixed]) => ({ ...more, ...fixed }));
    }
    case 'array':
      if (depth >= MAX_DEPTH || !schema.items) return fc.constant([]);
      return fc.array(schemaArbitrary(spec, { schema: schema.items as Schema, file }, known, name, depth + 1), {
        maxLength: 3,
      });
    case 'string': {
      const value = knownString(known, name, schema.format);
      return value !== undefined
        ? fc.oneof(
            { weight: 3, arbitrary: fc.constant(value) },
            { weight: 1, arbitrary: withExamples(fc.string({ maxLength: 16 })) },
          )
        : withExamples(fc.string({ maxLength: 16 }));
    }
    case 'integer':
      return withExamples(
        fc.integer({
          min: (schema.minimum as number | undefined) ?? 0,
          max: (schema.maximum as number | undefined) ?? 1000,
        }),
      );
    case 'number':
      return withExamples(fc.double({ noNaN: true, noDefaultInfinity: true, min: 0, max: 1000 }));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return withExamples(fc.jsonValue({ maxDepth: 2 }));
  }
}
