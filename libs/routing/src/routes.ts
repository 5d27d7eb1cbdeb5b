/**
 * Which service answers which paths: the one source for the nginx config of
 * the local services mode and the Kubernetes Ingress of the Helm chart (both
 * generated from this table by tools/routes/generate.ts), so the two cannot
 * route differently.
 */
export type HttpService = 'client-api' | 'sync' | 'federation-api' | 'media';

export interface Route {
  service: HttpService;
  /** An anchored regular expression (PCRE and RE2 compatible) over the request path. */
  pattern: string;
  why: string;
  /**
   * Request bodies go to the service as they arrive, whatever their size:
   * media uploads, which the media service streams to storage and limits by
   * the tenant's own setting (a proxy that buffered them would hold each
   * upload whole, and a fixed proxy limit would override the tenant's).
   */
  streamsBodies?: true;
}

/**
 * The key a proxy hashes to send every request of one client session to the same worker of a service: the
 * access token, from the Authorization header or, for older clients, the access_token query parameter (nginx
 * variables; a request with neither is balanced as any other).
 */
export const SESSION_HASH_KEY = '$http_authorization$arg_access_token';

/**
 * Services whose workers keep a session's state between its requests, so each session sticks to one worker
 * (a consistent hash of SESSION_HASH_KEY; adding a worker moves only its share of the sessions). A sync worker
 * remembers the rooms a user's last answer read (WatchedRooms), the presence it last wrote for them, its
 * own typing position and when it last answered each device (AnswerPacing): a long-poll arriving at the worker
 * that answered the previous one listens to those rooms without reading them again, where alternating workers
 * read them at every request, and is paced. Every other
 * service is balanced request by request.
 */
export const STICKY_SERVICES: readonly HttpService[] = ['sync'];

const CLIENT = '/_matrix/client/(r0|v3)';

/** Ordered: the first match wins, so specific sync paths precede the client-api catch-all. */
export const ROUTES: readonly Route[] = [
  { service: 'sync', pattern: `^${CLIENT}/sync$`, why: 'long-polls scale with the sync workers' },
  {
    service: 'sync',
    pattern: '^/_matrix/client/unstable/org\\.matrix\\.simplified_msc3575/sync$',
    why: 'simplified sliding sync (MSC4186) long-polls, on the sync workers',
  },
  {
    service: 'sync',
    pattern: '^/_matrix/client/unstable/io\\.element\\.msc4360/thread_updates$',
    why: "thread updates (MSC4360), the companion of sliding sync's threads extension",
  },
  { service: 'sync', pattern: `^${CLIENT}/rooms/[^/]+/messages$`, why: 'timeline reads by stream position' },
  { service: 'sync', pattern: `^${CLIENT}/rooms/[^/]+/context/[^/]+$`, why: 'timeline reads by stream position' },
  {
    service: 'sync',
    pattern: `^${CLIENT}/(events|initialSync|rooms/[^/]+/initialSync)$`,
    why: 'the peeking APIs before /sync: long-polls and timeline reads',
  },
  { service: 'media', pattern: '^/_matrix/media/', why: 'legacy media API, and uploads', streamsBodies: true },
  { service: 'media', pattern: '^/_matrix/client/v1/media/', why: 'authenticated media API' },
  {
    service: 'media',
    pattern: '^/_matrix/federation/v1/media/',
    why: 'federation media: other servers fetch our media',
  },
  { service: 'federation-api', pattern: '^/_matrix/federation/', why: 'server-server API' },
  { service: 'federation-api', pattern: '^/_matrix/key/', why: 'server signing keys' },
  { service: 'federation-api', pattern: '^/\\.well-known/matrix/server$', why: 'server discovery' },
  { service: 'client-api', pattern: '^/_matrix/client/', why: 'the rest of the client-server API' },
  {
    service: 'media',
    pattern:
      '^/_synapse/admin/v1/(media/|users/[^/]+/media$|user/[^/]+/media/quarantine$|room/[^/]+/media(/quarantine)?$|purge_media_cache$)',
    why: 'media admin API (Synapse-compatible): the media service holds the media store',
  },
  {
    service: 'client-api',
    pattern: '^/_synapse/admin/',
    why: 'admin API (Synapse-compatible), served with the client-api',
  },
  { service: 'client-api', pattern: '^/_lattice/admin/', why: 'operator API (tenants), served with the client-api' },
  {
    service: 'client-api',
    pattern: '^/\\.well-known/matrix/(client|support|policy_server)$',
    why: 'client, support and policy server discovery',
  },
];

const compiled = ROUTES.map((r) => ({ ...r, regex: new RegExp(r.pattern) }));

/** The service that answers `path`, or undefined for paths no service serves. */
export function serviceForPath(path: string): HttpService | undefined {
  return compiled.find((r) => r.regex.test(path))?.service;
}
