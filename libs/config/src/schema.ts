import { parseCidr } from '@lattice/outbound';
import { z } from 'zod';

/**
 * The configuration file's shape. Every field has a default that gives the
 * embedded single-process server (`npm start`), so an empty file is valid.
 */

const serverName = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'must be a Matrix server name (host[:port])');

const registration = z.object({
  /** open: anyone; token: m.login.registration_token required (tokens from the admin API, plus `tokens`); closed: nobody. */
  mode: z.enum(['open', 'token', 'closed']).default('open'),
  /**
   * Tokens good for any number of registrations, copied into the database at start. Prefer the admin
   * API's registration tokens (limited uses, expiry), which keep secrets out of the configuration.
   */
  tokens: z.array(z.string().min(1)).default([]),
  /** Guest accounts (client-server-api "Guest Access", POST /register?kind=guest); off unless asked for, as in Synapse. */
  guests: z.boolean().default(false),
});

/** /.well-known/matrix/support (client-server-api "Getting the support information of a server"). */
const support = z
  .object({
    contacts: z
      .array(
        z
          .object({
            role: z.string().min(1),
            matrix_id: z
              .string()
              .regex(/^@[^:]+:.+$/)
              .optional(),
            email_address: z.string().min(3).optional(),
          })
          .refine(
            (c) => c.matrix_id !== undefined || c.email_address !== undefined,
            'a contact needs matrix_id or email_address',
          ),
      )
      .default([]),
    support_page: z.url().optional(),
  })
  .refine((s) => s.contacts.length > 0 || s.support_page !== undefined, 'support needs contacts or support_page');
/** Media limits a tenant may set for itself; unset, the server-wide `media` value applies. */
const tenantMedia = z.object({
  maxUploadBytes: z.number().int().positive().optional(),
  userQuotaBytes: z.number().int().positive().optional(),
  /** URL previews (GET /media/preview_url) for this tenant's users; unset: media.urlPreviews.enabled. */
  urlPreviews: z.boolean().optional(),
});

/** Where media bytes are kept: files under storePath (embedded default), or an S3-compatible bucket shared by every media replica. */
const mediaStorage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local') }),
  z.object({
    kind: z.literal('s3'),
    bucket: z.string().min(1),
    region: z.string().default('us-east-1'),
    /** An S3-compatible server's URL; unset for AWS. */
    endpoint: z.url().optional(),
    forcePathStyle: z.boolean().default(true),
    prefix: z.string().default(''),
    /** Unset: the AWS SDK's default credential chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, instance roles). */
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
  }),
]);

const thumbnailSize = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  method: z.enum(['crop', 'scale']),
});

function thumbnailDefaults() {
  return {
    // The sizes client-server-api "Thumbnails" says servers SHOULD produce.
    sizes: [
      { width: 32, height: 32, method: 'crop' as const },
      { width: 96, height: 96, method: 'crop' as const },
      { width: 320, height: 240, method: 'scale' as const },
      { width: 640, height: 480, method: 'scale' as const },
      { width: 800, height: 600, method: 'scale' as const },
    ],
    pregenerate: true,
    maxPixels: 32_000_000,
    maxSourceBytes: 32 * 1024 * 1024,
  };
}

const thumbnails = z.object({
  /** The sizes made for every uploaded image; a request for another size is answered by the closest made one not smaller, else made on demand. */
  sizes: z.array(thumbnailSize).default(thumbnailDefaults().sizes),
  /** Make the sizes in the background after each upload of an image; off: only on demand. */
  pregenerate: z.boolean().default(true),
  /** Images of more pixels (all frames of an animation counted) are not thumbnailed (413 M_TOO_LARGE, 502 for remote media). */
  maxPixels: z.number().int().positive().default(thumbnailDefaults().maxPixels),
  /** Files larger than this are not thumbnailed: they are decoded in memory. */
  maxSourceBytes: z.number().int().positive().default(thumbnailDefaults().maxSourceBytes),
});

function urlPreviewDefaults() {
  return { enabled: true, maxBytes: 10 * 1024 * 1024, timeoutMs: 10_000, cacheMs: 24 * 60 * 60 * 1000 };
}

/**
 * URL previews (client-server-api GET /media/preview_url). The server fetches what users ask for, so every
 * fetch is bound by the `outbound` address policy (no private, loopback or link-local targets unless allowed).
 */
const urlPreviews = z.object({
  /** Off: preview_url answers 404 M_UNRECOGNIZED. A tenant's media.urlPreviews overrides it. */
  enabled: z.boolean().default(urlPreviewDefaults().enabled),
  /** Largest page, oEmbed answer or image fetched for a preview. */
  maxBytes: z.number().int().positive().default(urlPreviewDefaults().maxBytes),
  /** For each fetch, redirects included. */
  timeoutMs: z.number().int().positive().default(urlPreviewDefaults().timeoutMs),
  /** How long a fetched preview answers requests for its URL. */
  cacheMs: z.number().int().positive().default(urlPreviewDefaults().cacheMs),
});

const mediaDefaults = {
  storage: { kind: 'local' as const },
  maxUploadBytes: 50 * 1024 * 1024,
  pendingUploadLifetimeMs: 24 * 60 * 60 * 1000,
  maxPendingUploadsPerUser: 10,
  unauthenticatedFreezeTs: Date.UTC(2024, 8, 1),
  thumbnails: thumbnailDefaults(),
  urlPreviews: urlPreviewDefaults(),
};

const media = z.object({
  /** The local storage's folder (storage kind local); unset: `media` in dataDir. */
  storePath: z.string().optional(),
  storage: mediaStorage.default(mediaDefaults.storage),
  /** The largest upload (M_TOO_LARGE beyond it); a tenant's media.maxUploadBytes overrides it. */
  maxUploadBytes: z.number().int().positive().default(mediaDefaults.maxUploadBytes),
  /** The total a user may have uploaded (M_FORBIDDEN beyond it); unset: no quota. A tenant's media.userQuotaBytes overrides it. */
  userQuotaBytes: z.number().int().positive().optional(),
  /** How long an mxc:// URI from POST /media/v1/create waits for its upload (the spec recommends 24 hours). */
  pendingUploadLifetimeMs: z.number().int().positive().default(mediaDefaults.pendingUploadLifetimeMs),
  /** Created, not yet uploaded mxc:// URIs a user may hold at once (M_LIMIT_EXCEEDED beyond). */
  maxPendingUploadsPerUser: z.number().int().positive().default(mediaDefaults.maxPendingUploadsPerUser),
  /**
   * The unauthenticated-media freeze (client-server-api "Content repository", v1.11): media whose bytes
   * arrived at or after this time (ms since the epoch) is not served by the deprecated
   * /_matrix/media/v3/download, only by the authenticated endpoints. Default: 1 September 2024 (Matrix 1.12).
   */
  unauthenticatedFreezeTs: z.number().int().min(0).default(mediaDefaults.unauthenticatedFreezeTs),
  thumbnails: thumbnails.default(thumbnailDefaults()),
  urlPreviews: urlPreviews.default(urlPreviewDefaults()),
});

export const tenantSchema = z.object({
  /** The server name in user IDs, room aliases and signatures. */
  serverName,
  /** Where clients reach this tenant; also answers /.well-known/matrix/client. */
  publicBaseUrl: z.url().optional(),
  /**
   * Where other servers reach this tenant's federation API, as host[:port], when not at the server
   * name on port 8448: answers /.well-known/matrix/server (server-server-api "Resolving server names").
   */
  federationHost: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'must be host[:port]')
    .optional(),
  /** Extra Host header values that select this tenant (e.g. a client-facing domain). */
  hostnames: z.array(z.string()).default([]),
  registration: registration.default({ mode: 'open', tokens: [], guests: false }),
  /** Who runs this tenant and where its users find help; unset, /.well-known/matrix/support is 404. */
  support: support.optional(),
  media: tenantMedia.default({}),
  /** Registration files (YAML) of this tenant's application services (application-service-api "Registration"), read at start. */
  appServiceConfigFiles: z.array(z.string().min(1)).default([]),
});

const cidrRanges = z
  .array(z.string().refine((range) => parseCidr(range) !== undefined, 'must be a CIDR range (address/prefix)'))
  .default([]);

const rateLimit = z.object({
  /** Sustained requests per second per user (or per IP when unauthenticated). */
  perSecond: z.number().positive().default(10),
  burst: z.number().int().positive().default(50),
});

export const configSchema = z.object({
  /** Which services this process runs: `all` is the single-process server. */
  role: z
    .enum(['all', 'client-api', 'federation-api', 'room-server', 'sync', 'media', 'appservice', 'push'])
    .default('all'),
  listen: z
    .object({
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(8008),
    })
    .default({ host: '0.0.0.0', port: 8008 }),
  tenants: z
    .array(tenantSchema)
    .min(1)
    .default([
      {
        serverName: 'localhost',
        hostnames: [],
        registration: { mode: 'open', tokens: [], guests: false },
        media: {},
        appServiceConfigFiles: [],
      },
    ]),
  /** Embedded: PGlite in dataDir. Postgres: a connection URL. */
  database: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('embedded'), dataDir: z.string().default('./data/db') }),
      z.object({
        kind: z.literal('postgres'),
        url: z.string().min(1),
        /**
         * Each connection prepares the statements it runs more than once (named at the protocol level), and the
         * room-server's writes run as statements it prepared (SQL PREPARE and EXECUTE). Off behind a pooler in
         * transaction mode (PgBouncer's default), which may run a named statement on a connection that never
         * prepared it.
         */
        preparedStatements: z.boolean().default(true),
      }),
    ])
    .default({ kind: 'embedded', dataDir: './data/db' }),
  /** In-process: handlers called directly. NATS: JetStream streams between services. */
  bus: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('in-process') }),
      z.object({
        kind: z.literal('nats'),
        url: z.string().min(1),
        partitions: z.number().int().min(1).max(1024).default(64),
      }),
    ])
    .default({ kind: 'in-process' }),
  /** Where the committed stream positions are cached for the sync workers (Redis in services mode). */
  cache: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('in-process') }),
      z.object({ kind: z.literal('redis'), url: z.string().min(1) }),
    ])
    .default({ kind: 'in-process' }),
  media: media.default(mediaDefaults),
  rateLimit: rateLimit.default({ perSecond: 10, burst: 50 }),
  telemetry: z
    .object({
      serviceName: z.string().default('lattice'),
      /** OTLP/HTTP traces endpoint (Jaeger, an OTel collector); unset = tracing off. */
      otlpEndpoint: z.url().optional(),
      /** Share of new traces kept, 0 to 1 (parent-based: a request arriving in a sampled trace stays traced). */
      sampleRatio: z.number().min(0).max(1).default(1),
    })
    .default({ serviceName: 'lattice', sampleRatio: 1 }),
  logging: z
    .object({
      /** text: Nest's coloured lines for a terminal; json: one JSON object per line (level, service, tenant, trace_id, span_id) for a log collector. */
      format: z.enum(['text', 'json']).default('text'),
      level: z.enum(['verbose', 'debug', 'log', 'warn', 'error']).default('log'),
      /** One line per answered request (method, path without query, route, status, duration, tenant, user). */
      accessLog: z.boolean().default(true),
    })
    .default({ format: 'text', level: 'log', accessLog: true }),
  federation: z
    .object({
      /**
       * Serve the federation API over TLS on this port (8448 is the spec's default), with this
       * certificate chain and key (PEM files). Unset: terminate TLS in front of the server instead.
       */
      tls: z
        .object({
          port: z.number().int().min(0).max(65535).default(8448),
          certFile: z.string().min(1),
          keyFile: z.string().min(1),
        })
        .optional(),
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
   * /sync long-polls: a device's next answer comes at least answerIntervalMs after its last (the events of
   * that time ride along in it; 0: each answer as soon as there is something), see libs/sync/src/answer-pacing.ts.
   */
  sync: z
    .object({ answerIntervalMs: z.number().int().min(0).max(1_000).default(50) })
    .default({ answerIntervalMs: 50 }),
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
  auth: z
    .object({ accessTokenLifetimeMs: z.number().int().min(1000).default(300_000) })
    .default({ accessTokenLifetimeMs: 300_000 }),
  /**
   * The admin API (/_synapse/admin, Synapse-compatible, for users whose users.is_admin is set; and
   * /_lattice/admin/v1/tenants for the operator). Secrets are best given by environment variable.
   */
  admin: z
    .object({
      /** HMAC key of POST /_synapse/admin/v1/register (Synapse's registration_shared_secret); unset: that endpoint is off. */
      registrationSharedSecret: z.string().min(1).optional(),
      /** Bearer token of the deployment's operator for the tenants API and the CLI; unset: the tenants API is off. */
      operatorToken: z.string().min(16).optional(),
      /** The local user that sends server notices, created at the first notice of each tenant. */
      serverNoticesLocalpart: z.string().min(1).default('notices'),
      /** How often every process re-reads the tenants table, in case an `output.tenants` message was missed. */
      tenantPollMs: z.number().int().min(100).default(30_000),
    })
    .default({ serverNoticesLocalpart: 'notices', tenantPollMs: 30_000 }),
  /**
   * The app-service sender: how it retries a service that does not accept a transaction (exponential
   * backoff from retryInitialMs, doubling up to retryMaxMs, for as long as it takes), how many events
   * and ephemeral items one transaction holds, and how long a query (users, rooms, thirdparty) waits.
   */
  appservices: z
    .object({
      retryInitialMs: z.number().int().positive().default(1_000),
      retryMaxMs: z.number().int().positive().default(300_000),
      maxItemsPerTransaction: z.number().int().min(1).max(1000).default(100),
      requestTimeoutMs: z.number().int().positive().default(30_000),
    })
    .default({ retryInitialMs: 1_000, retryMaxMs: 300_000, maxItemsPerTransaction: 100, requestTimeoutMs: 30_000 }),
  /**
   * The push service (client-server-api "Push Notifications"). `enabled: false` leaves it out of the
   * single process (no unread counts, no pushes; services mode runs it as role `push` or not at all).
   * How long a push gateway has to answer (a lease must outlast it),
   * how long a replica holds a pusher it delivers to, and the longest wait between retries. Gateway
   * URLs are outbound requests: a gateway on a private network needs outbound.allowRanges.
   */
  push: z
    .object({
      enabled: z.boolean().default(true),
      gatewayTimeoutMs: z.number().int().min(100).default(10_000),
      leaseMs: z.number().int().min(1000).default(30_000),
      maxRetryDelayMs: z.number().int().min(100).default(600_000),
    })
    .default({ enabled: true, gatewayTimeoutMs: 10_000, leaseMs: 30_000, maxRetryDelayMs: 600_000 }),
  /** Where the signing keys of tenants without one in the database are written at first start. */
  dataDir: z.string().default('./data'),
});

export type LatticeConfig = z.infer<typeof configSchema>;
export type TenantConfig = z.infer<typeof tenantSchema>;
export type ServiceRole = LatticeConfig['role'];

/** Dependency-injection token under which every service receives the validated configuration. */
export const LATTICE_CONFIG = Symbol('LatticeConfig');
