import { parseCidr } from '@lattice/outbound';
import { z } from 'zod';

/**
 * The configuration file's shape. Every field has a default that gives the
 * embedded single-process server (`npm start`), so an empty file is valid.
 */

const serverName = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'must be a Matrix server name (host[:port])');

const registration = z
  .object({
    /** open: anyone; token: m.login.registration_token required; closed: nobody. */
    mode: z.enum(['open', 'token', 'closed']).default('open'),
    tokens: z.array(z.string().min(1)).default([]),
    /** Guest accounts (client-server-api "Guest Access", POST /register?kind=guest); off unless asked for, as in Synapse. */
    guests: z.boolean().default(false),
  })
  .refine((r) => r.mode !== 'token' || r.tokens.length > 0, {
    message: 'registration.mode "token" needs at least one entry in registration.tokens',
  });

/** /.well-known/matrix/support (client-server-api "Getting the support information of a server"). */
const support = z
  .object({
    contacts: z
      .array(
        z
          .object({ role: z.string().min(1), matrix_id: z.string().regex(/^@[^:]+:.+$/).optional(), email_address: z.string().min(3).optional() })
          .refine((c) => c.matrix_id !== undefined || c.email_address !== undefined, 'a contact needs matrix_id or email_address'),
      )
      .default([]),
    support_page: z.url().optional(),
  })
  .refine((s) => s.contacts.length > 0 || s.support_page !== undefined, 'support needs contacts or support_page');

export const tenantSchema = z.object({
  /** The server name in user IDs, room aliases and signatures. */
  serverName,
  /** Where clients reach this tenant; also answers /.well-known/matrix/client. */
  publicBaseUrl: z.url().optional(),
  /**
   * Where other servers reach this tenant's federation API, as host[:port], when not at the server
   * name on port 8448: answers /.well-known/matrix/server (server-server-api "Resolving server names").
   */
  federationHost: z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'must be host[:port]').optional(),
  /** Extra Host header values that select this tenant (e.g. a client-facing domain). */
  hostnames: z.array(z.string()).default([]),
  registration: registration.default({ mode: 'open', tokens: [], guests: false }),
  /** Who runs this tenant and where its users find help; unset, /.well-known/matrix/support is 404. */
  support: support.optional(),
});

const cidrRanges = z.array(z.string().refine((range) => parseCidr(range) !== undefined, 'must be a CIDR range (address/prefix)')).default([]);

const rateLimit = z.object({
  /** Sustained requests per second per user (or per IP when unauthenticated). */
  perSecond: z.number().positive().default(10),
  burst: z.number().int().positive().default(50),
});

export const configSchema = z.object({
  /** Which services this process runs: `all` is the single-process server. */
  role: z.enum(['all', 'client-api', 'federation-api', 'room-server', 'sync', 'media']).default('all'),
  listen: z
    .object({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8008),
    })
    .default({ host: '0.0.0.0', port: 8008 }),
  tenants: z.array(tenantSchema).min(1).default([{ serverName: 'localhost', hostnames: [], registration: { mode: 'open', tokens: [], guests: false } }]),
  /** Embedded: PGlite in dataDir. Postgres: a connection URL. */
  database: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('embedded'), dataDir: z.string().default('./data/db') }),
      z.object({ kind: z.literal('postgres'), url: z.string().min(1) }),
    ])
    .default({ kind: 'embedded', dataDir: './data/db' }),
  /** In-process: handlers called directly. NATS: JetStream streams between services. */
  bus: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('in-process') }),
      z.object({ kind: z.literal('nats'), url: z.string().min(1), partitions: z.number().int().min(1).max(1024).default(64) }),
    ])
    .default({ kind: 'in-process' }),
  /** Where the committed stream positions are cached for the sync workers (Redis in services mode). */
  cache: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('in-process') }),
      z.object({ kind: z.literal('redis'), url: z.string().min(1) }),
    ])
    .default({ kind: 'in-process' }),
  media: z
    .object({
      storePath: z.string().default('./data/media'),
      maxUploadBytes: z.number().int().positive().default(50 * 1024 * 1024),
    })
    .default({ storePath: './data/media', maxUploadBytes: 50 * 1024 * 1024 }),
  rateLimit: rateLimit.default({ perSecond: 10, burst: 50 }),
  telemetry: z
    .object({
      serviceName: z.string().default('lattice'),
      /** OTLP/HTTP traces endpoint (Jaeger, an OTel collector); unset = tracing off. */
      otlpEndpoint: z.url().optional(),
    })
    .default({ serviceName: 'lattice' }),
  federation: z
    .object({
      /**
       * Serve the federation API over TLS on this port (8448 is the spec's default), with this
       * certificate chain and key (PEM files). Unset: terminate TLS in front of the server instead.
       */
      tls: z.object({ port: z.number().int().min(0).max(65535).default(8448), certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
      /** CA certificates (PEM files) trusted for other servers on top of the system's, e.g. a private deployment's. */
      trustedCaFiles: z.array(z.string().min(1)).default([]),
      /** Notary servers asked for a server's keys when it cannot be reached directly. */
      keyServers: z.array(serverName).default([]),
    })
    .default({ trustedCaFiles: [], keyServers: [] }),
  /**
   * Which addresses this server's own requests (federation, discovery, key fetches) may connect to.
   * Loopback, private, link-local, CGNAT, multicast and other non-public ranges are refused unless a
   * range in allowRanges covers them; denyRanges refuses more, and wins over allowRanges. Checked on
   * the address each connection resolves to, so a server name cannot point this server at its own network.
   */
  outbound: z.object({ allowRanges: cidrRanges, denyRanges: cidrRanges }).default({ allowRanges: [], denyRanges: [] }),
  /**
   * Presence (client-server-api "Presence"). Off: the endpoints still answer (GET says offline, PUT
   * changes nothing), /sync carries no presence, and no m.presence EDU goes out or is taken in; large
   * deployments turn it off because every change fans out to everyone sharing a room.
   */
  presence: z.object({ enabled: z.boolean().default(true) }).default({ enabled: true }),
  /**
   * TURN servers for calls (client-server-api "Voice over IP", GET /voip/turnServer). With a
   * sharedSecret, each user gets time-limited credentials in the TURN REST API form coturn checks
   * (username "<expiry>:<user ID>", password base64 HMAC-SHA1 of it); else the fixed username and
   * password. No uris: the endpoint answers {} (no TURN server), which clients take as "none".
   */
  voip: z
    .object({
      turnUris: z.array(z.string().regex(/^turns?:/, 'must be a turn: or turns: URI')).default([]),
      turnSharedSecret: z.string().min(1).optional(),
      turnUsername: z.string().optional(),
      turnPassword: z.string().optional(),
      turnTtlSeconds: z.number().int().positive().default(86_400),
    })
    .default({ turnUris: [], turnTtlSeconds: 86_400 }),
  /**
   * Access tokens of clients that asked for a refresh token (client-server-api "Refreshing access
   * tokens") expire after accessTokenLifetimeMs; other clients keep tokens that never expire.
   */
  auth: z.object({ accessTokenLifetimeMs: z.number().int().min(1000).default(300_000) }).default({ accessTokenLifetimeMs: 300_000 }),
  /** Where the signing keys of tenants without one in the database are written at first start. */
  dataDir: z.string().default('./data'),
});

export type LatticeConfig = z.infer<typeof configSchema>;
export type TenantConfig = z.infer<typeof tenantSchema>;
export type ServiceRole = LatticeConfig['role'];

/** Dependency-injection token under which every service receives the validated configuration. */
export const LATTICE_CONFIG = Symbol('LatticeConfig');
