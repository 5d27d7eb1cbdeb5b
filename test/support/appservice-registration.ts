import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';

export interface TestRegistration {
  path: string;
  id: string;
  asToken: string;
  hsToken: string;
  senderLocalpart: string;
  /** The registration as written to the file. */
  yaml: Record<string, unknown>;
}

/**
 * An application service's registration file, as a bridge would generate it,
 * in a fresh temporary folder: exclusive users `@<prefix>.*`, exclusive
 * aliases `#<prefix>.*`, the service at `url`.
 */
export function writeRegistration(options: {
  id: string;
  url: string | null;
  prefix: string;
  extra?: Record<string, unknown>;
}): TestRegistration {
  const asToken = randomBytes(16).toString('hex');
  const hsToken = randomBytes(16).toString('hex');
  const senderLocalpart = `${options.prefix}bot`;
  const yaml = {
    id: options.id,
    url: options.url,
    as_token: asToken,
    hs_token: hsToken,
    sender_localpart: senderLocalpart,
    namespaces: {
      users: [{ exclusive: true, regex: `@${options.prefix}.*` }],
      aliases: [{ exclusive: true, regex: `#${options.prefix}.*` }],
      rooms: [],
    },
    rate_limited: false,
    ...options.extra,
  };
  const path = join(mkdtempSync(join(tmpdir(), 'lattice-as-')), 'registration.yaml');
  writeFileSync(path, dump(yaml));
  return { path, id: options.id, asToken, hsToken, senderLocalpart, yaml };
}
