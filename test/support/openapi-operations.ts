import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { load as parseYaml } from 'js-yaml';

export type Schema = Record<string, unknown>;

/** A schema and the file it sits in, which its relative `$ref`s resolve against. */
export interface Located {
  schema: Schema;
  file: string;
}

export interface Parameter {
  name: string;
  required: boolean;
  schema: Located;
}

/** One operation of the spec's OpenAPI: what a request to it is made of. */
export interface Operation {
  api: 'client-server' | 'server-server';
  method: string;
  /** The full path template from the server root, e.g. /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}. */
  path: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  /** The JSON body's schema, when the operation takes a JSON body. */
  body?: Located;
  /** Whether the operation takes a body that is not JSON (a media upload). */
  rawBody: boolean;
  /** Whether the spec wants the request signed by the origin server (server-server-api "Request Authentication"). */
  signed: boolean;
  /** Whether the spec marks the operation deprecated. */
  deprecated: boolean;
}

/** Reads the OpenAPI definitions copied under test/fixtures/matrix-spec, resolving `$ref`s between files. */
export class SpecFiles {
  private readonly documents = new Map<string, unknown>();

  constructor(readonly root: string) {}

  document(file: string): unknown {
    let document = this.documents.get(file);
    if (document === undefined) {
      document = parseYaml(indentFlowContinuations(readFileSync(file, 'utf8')));
      this.documents.set(file, document);
    }
    return document;
  }

  /** Follows `$ref`s (relative file paths, JSON pointers or both) until a schema that is not a reference. */
  deref(located: Located): Located {
    let { schema, file } = located;
    for (let hops = 0; typeof schema.$ref === 'string'; hops++) {
      if (hops > 20) throw new Error(`$ref cycle at ${file}`);
      const [path, pointer] = schema.$ref.split('#');
      file = path ? resolve(dirname(file), path) : file;
      schema = pointer ? this.pointer(this.document(file), pointer) : (this.document(file) as Schema);
    }
    return { schema, file };
  }

  private pointer(document: unknown, pointer: string): Schema {
    return pointer
      .split('/')
      .filter((part) => part !== '')
      .reduce<unknown>(
        (at, part) => (at as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')],
        document,
      ) as Schema;
  }

  /** Every operation of one API, from all its definition files. */
  operations(api: Operation['api']): Operation[] {
    const folder = join(this.root, 'data/api', api);
    return readdirSync(folder)
      .filter((name) => name.endsWith('.yaml'))
      .sort()
      .flatMap((name) => this.operationsOf(api, join(folder, name)));
  }

  private operationsOf(api: Operation['api'], file: string): Operation[] {
    const document = this.document(file) as {
      servers?: Array<{ variables?: { basePath?: { default?: string } } }>;
      paths?: Record<string, Record<string, Schema>>;
      security?: unknown[];
    };
    const basePath = document.servers?.[0]?.variables?.basePath?.default ?? '';
    return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => ['get', 'put', 'post', 'delete'].includes(method))
        .map(([method, operation]) => {
          const parameters = ((operation.parameters ?? []) as Schema[]).map((p) => this.deref({ schema: p, file }));
          const param = (where: string) =>
            parameters
              .filter((p) => p.schema.in === where)
              .map((p) => ({
                name: p.schema.name as string,
                required: p.schema.required === true,
                schema: { schema: (p.schema.schema ?? {}) as Schema, file: p.file },
              }));
          const requestBody = operation.requestBody
            ? this.deref({ schema: operation.requestBody as Schema, file })
            : undefined;
          const content = (requestBody?.schema.content ?? {}) as Record<string, { schema?: Schema }>;
          const json = content['application/json'];
          const security = (operation.security ?? document.security ?? []) as Array<Record<string, unknown>>;
          return {
            api,
            method: method.toUpperCase(),
            // One path in the spec carries a trailing space ("/rooms/{roomId}/invite ").
            path: basePath + path.trim(),
            pathParams: param('path'),
            queryParams: param('query'),
            ...(json ? { body: { schema: json.schema ?? {}, file: requestBody!.file } } : {}),
            rawBody: requestBody !== undefined && !json,
            signed: security.some((s) => 'signedRequest' in s),
            deprecated: operation.deprecated === true,
          };
        }),
    );
  }
}

/**
 * The spec's examples are JSON written as YAML flow collections whose
 * continuation lines, closing bracket included, are indented no deeper than
 * their key. PyYAML, which the spec's own tooling uses, accepts that; js-yaml
 * holds to the YAML rule that they be indented deeper. Indenting every
 * continuation line of such a collection two spaces past its key changes
 * nothing else: whitespace between flow tokens, and at the start of a
 * folded line in a quoted string, carries no meaning.
 */
export function indentFlowContinuations(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const opening = /^(\s*)(?:- )?[^#\s].*?:\s*[[{]\s*$/.exec(lines[i]);
    if (!opening) continue;
    const pad = ' '.repeat(opening[1].length + 2);
    let depth = bracketBalance(lines[i]);
    while (depth > 0 && ++i < lines.length) {
      depth += bracketBalance(lines[i]);
      lines[i] = pad + lines[i];
    }
  }
  return lines.join('\n');
}

/** Opening minus closing flow brackets on a line, outside double-quoted strings. */
function bracketBalance(line: string): number {
  let balance = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') balance++;
    else if (c === '}' || c === ']') balance--;
  }
  return balance;
}
