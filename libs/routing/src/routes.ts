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
}

const CLIENT = '/_matrix/client/(r0|v3)';

/** Ordered: the first match wins, so specific sync paths precede the client-api catch-all. */
export const ROUTES: readonly Route[] = [
  { service: 'sync', pattern: `^${CLIENT}/sync$`, why: 'long-polls scale with the sync workers' },
  { service: 'sync', pattern: `^${CLIENT}/rooms/[^/]+/messages$`, why: 'timeline reads by stream position' },
  { service: 'sync', pattern: `^${CLIENT}/rooms/[^/]+/context/[^/]+$`, why: 'timeline reads by stream position' },
  { service: 'sync', pattern: `^${CLIENT}/(events|initialSync|rooms/[^/]+/initialSync)$`, why: 'the peeking APIs before /sync: long-polls and timeline reads' },
  { service: 'media', pattern: '^/_matrix/media/', why: 'legacy media API' },
  { service: 'media', pattern: '^/_matrix/client/v1/media/', why: 'authenticated media API' },
  { service: 'federation-api', pattern: '^/_matrix/federation/', why: 'server-server API' },
  { service: 'federation-api', pattern: '^/_matrix/key/', why: 'server signing keys' },
  { service: 'federation-api', pattern: '^/\\.well-known/matrix/server$', why: 'server discovery' },
  { service: 'client-api', pattern: '^/_matrix/client/', why: 'the rest of the client-server API' },
  { service: 'client-api', pattern: '^/\\.well-known/matrix/(client|support|policy_server)$', why: 'client, support and policy server discovery' },
];

const compiled = ROUTES.map((r) => ({ ...r, regex: new RegExp(r.pattern) }));

/** The service that answers `path`, or undefined for paths no service serves. */
export function serviceForPath(path: string): HttpService | undefined {
  return compiled.find((r) => r.regex.test(path))?.service;
}
