import { readFileSync, existsSync } from 'node:fs';
import { load as parseYaml } from 'js-yaml';
import { z } from 'zod';
import { configSchema, LatticeConfig } from './schema';

/** A configuration that failed validation; the message lists every problem with its path. */
export class ConfigError extends Error {
  constructor(source: string, problems: string[]) {
    super(`Invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

/**
 * Environment overrides, so containers need no file: each variable replaces
 * one setting after the file is read. Kept as a table so the README's
 * configuration reference and this code cannot drift (see configEnvironmentVariables).
 */
const overrides: ReadonlyArray<{
  name: string;
  help: string;
  apply: (raw: Record<string, any>, value: string) => void;
}> = [
  { name: 'LATTICE_ROLE', help: 'role', apply: (c, v) => (c.role = v) },
  { name: 'LATTICE_HOST', help: 'listen.host', apply: (c, v) => ((c.listen ??= {}).host = v) },
  { name: 'LATTICE_PORT', help: 'listen.port', apply: (c, v) => ((c.listen ??= {}).port = Number(v)) },
  {
    name: 'LATTICE_SERVER_NAME',
    help: 'tenants (one tenant with this server name)',
    apply: (c, v) => (c.tenants = [{ ...(c.tenants?.[0] ?? {}), serverName: v }]),
  },
  {
    name: 'LATTICE_DATABASE_URL',
    help: 'database: {kind: postgres, url}',
    apply: (c, v) =>
      (c.database = { ...(c.database?.kind === 'postgres' ? c.database : {}), kind: 'postgres', url: v }),
  },
  { name: 'LATTICE_DATA_DIR', help: 'dataDir, database.dataDir, media.storePath', apply: applyDataDir },
  {
    name: 'LATTICE_NATS_URL',
    help: 'bus: {kind: nats, url}',
    apply: (c, v) => (c.bus = { ...(c.bus ?? {}), kind: 'nats', url: v }),
  },
  {
    name: 'LATTICE_BUS_PARTITIONS',
    help: 'bus.partitions (with LATTICE_NATS_URL)',
    apply: (c, v) => (c.bus = { ...(c.bus ?? {}), partitions: Number(v) }),
  },
  {
    name: 'LATTICE_FEDERATION_TLS_PORT',
    help: 'federation.tls.port',
    apply: (c, v) => (federationTls(c).port = Number(v)),
  },
  {
    name: 'LATTICE_FEDERATION_TLS_CERT_FILE',
    help: 'federation.tls.certFile',
    apply: (c, v) => (federationTls(c).certFile = v),
  },
  {
    name: 'LATTICE_FEDERATION_TLS_KEY_FILE',
    help: 'federation.tls.keyFile',
    apply: (c, v) => (federationTls(c).keyFile = v),
  },
  {
    name: 'LATTICE_REDIS_URL',
    help: 'cache: {kind: redis, url}',
    apply: (c, v) => (c.cache = { kind: 'redis', url: v }),
  },
  {
    name: 'LATTICE_OTLP_ENDPOINT',
    help: 'telemetry.otlpEndpoint',
    apply: (c, v) => ((c.telemetry ??= {}).otlpEndpoint = v),
  },
  {
    name: 'LATTICE_SERVICE_NAME',
    help: 'telemetry.serviceName',
    apply: (c, v) => ((c.telemetry ??= {}).serviceName = v),
  },
  {
    name: 'LATTICE_TRACE_SAMPLE_RATIO',
    help: 'telemetry.sampleRatio',
    apply: (c, v) => ((c.telemetry ??= {}).sampleRatio = Number(v)),
  },
  {
    name: 'LATTICE_LOG_FORMAT',
    help: 'logging.format (text or json)',
    apply: (c, v) => ((c.logging ??= {}).format = v),
  },
  { name: 'LATTICE_LOG_LEVEL', help: 'logging.level', apply: (c, v) => ((c.logging ??= {}).level = v) },
  {
    name: 'LATTICE_ACCESS_TOKEN_LIFETIME_MS',
    help: 'auth.accessTokenLifetimeMs',
    apply: (c, v) => ((c.auth ??= {}).accessTokenLifetimeMs = Number(v)),
  },
  {
    name: 'LATTICE_MEDIA_S3_BUCKET',
    help: 'media.storage: {kind: s3, bucket} (credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
    apply: (c, v) => ((c.media ??= {}).storage = { ...(c.media.storage ?? {}), kind: 's3', bucket: v }),
  },
  {
    name: 'LATTICE_MEDIA_S3_ENDPOINT',
    help: 'media.storage.endpoint (an S3-compatible server)',
    apply: (c, v) => (((c.media ??= {}).storage ??= {}).endpoint = v),
  },
  {
    name: 'LATTICE_MEDIA_MAX_UPLOAD_BYTES',
    help: 'media.maxUploadBytes',
    apply: (c, v) => ((c.media ??= {}).maxUploadBytes = Number(v)),
  },
  {
    name: 'LATTICE_REGISTRATION_SHARED_SECRET',
    help: 'admin.registrationSharedSecret',
    apply: (c, v) => ((c.admin ??= {}).registrationSharedSecret = v),
  },
  { name: 'LATTICE_ADMIN_TOKEN', help: 'admin.operatorToken', apply: (c, v) => ((c.admin ??= {}).operatorToken = v) },
  {
    name: 'LATTICE_SERVER_NOTICES_LOCALPART',
    help: 'admin.serverNoticesLocalpart',
    apply: (c, v) => ((c.admin ??= {}).serverNoticesLocalpart = v),
  },
  { name: 'LATTICE_PUSH_LEASE_MS', help: 'push.leaseMs', apply: (c, v) => ((c.push ??= {}).leaseMs = Number(v)) },
  {
    name: 'LATTICE_SYNC_ANSWER_INTERVAL_MS',
    help: 'sync.answerIntervalMs',
    apply: (c, v) => ((c.sync ??= {}).answerIntervalMs = Number(v)),
  },
  {
    name: 'LATTICE_OUTBOUND_ALLOW_RANGES',
    help: 'outbound.allowRanges (comma-separated CIDR ranges)',
    apply: (c, v) => ((c.outbound ??= {}).allowRanges = commaList(v)),
  },
];

function federationTls(c: Record<string, any>): Record<string, any> {
  return ((c.federation ??= {}).tls ??= {});
}

function applyDataDir(c: Record<string, any>, dir: string): void {
  c.dataDir = dir;
  if (!c.database || c.database.kind === 'embedded') c.database = { kind: 'embedded', dataDir: `${dir}/db` };
  (c.media ??= {}).storePath = `${dir}/media`;
}

/** The variables `loadConfig` reads, for documentation and `--help`. */
export function configEnvironmentVariables(): Array<{ name: string; sets: string }> {
  return [
    { name: 'LATTICE_CONFIG', sets: 'path of the YAML configuration file' },
    ...overrides.map((o) => ({ name: o.name, sets: o.help })),
  ];
}

/** Validates an already-parsed configuration object (file contents plus overrides). */
export function parseConfig(raw: unknown, source = 'configuration'): LatticeConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(source, formatIssues(result.error));
  return result.data;
}

/**
 * Reads the YAML file named by LATTICE_CONFIG (or `lattice.yaml` if present),
 * applies environment overrides and validates the result. Throws ConfigError
 * naming every invalid setting, so a bad deployment fails at start, not later.
 */
export function loadConfig(env: Env = process.env): LatticeConfig {
  const path = env.LATTICE_CONFIG ?? (existsSync('lattice.yaml') ? 'lattice.yaml' : undefined);
  const raw = (path ? readYaml(path) : {}) as Record<string, any>;
  for (const o of overrides) {
    const value = env[o.name];
    if (value !== undefined && value !== '') o.apply(raw, value);
  }
  return parseConfig(raw, path ? `${path} + environment` : 'environment');
}

function readYaml(path: string): unknown {
  if (!existsSync(path)) throw new ConfigError(path, [`file not found: ${path}`]);
  try {
    return parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (e) {
    throw new ConfigError(path, [`not valid YAML: ${(e as Error).message}`]);
  }
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

function commaList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
