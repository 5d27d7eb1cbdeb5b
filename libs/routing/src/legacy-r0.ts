/**
 * The paths of client-server API r0.6.1 (and media r0), below `r0/`. Clients
 * and tools that still speak r0 send exactly these; each answers as its v3
 * successor does (v1.1 renamed r0 to v3 without changing these endpoints), so
 * a request is rewritten to the v3 path before routing instead of every
 * controller being registered twice. `{…}` is one path segment. Endpoints
 * added after r0.6.1 have no r0 form and stay 404 under r0.
 */
export const R0_CLIENT_PATHS: readonly string[] = [
  'login',
  'login/sso/redirect',
  'logout',
  'logout/all',
  'register',
  'register/available',
  'register/email/requestToken',
  'register/msisdn/requestToken',
  'account/password',
  'account/password/email/requestToken',
  'account/password/msisdn/requestToken',
  'account/deactivate',
  'account/3pid',
  'account/3pid/add',
  'account/3pid/bind',
  'account/3pid/delete',
  'account/3pid/unbind',
  'account/3pid/email/requestToken',
  'account/3pid/msisdn/requestToken',
  'account/whoami',
  'auth/{authType}/fallback/web',
  'capabilities',
  'user/{userId}/filter',
  'user/{userId}/filter/{filterId}',
  'sync',
  'events',
  'events/{eventId}',
  'initialSync',
  'rooms/{roomId}/initialSync',
  'rooms/{roomId}/event/{eventId}',
  'rooms/{roomId}/state',
  'rooms/{roomId}/state/{eventType}',
  'rooms/{roomId}/state/{eventType}/{stateKey}',
  'rooms/{roomId}/members',
  'rooms/{roomId}/joined_members',
  'rooms/{roomId}/messages',
  'rooms/{roomId}/context/{eventId}',
  'rooms/{roomId}/send/{eventType}/{txnId}',
  'rooms/{roomId}/redact/{eventId}/{txnId}',
  'rooms/{roomId}/invite',
  'rooms/{roomId}/join',
  'rooms/{roomId}/leave',
  'rooms/{roomId}/forget',
  'rooms/{roomId}/kick',
  'rooms/{roomId}/ban',
  'rooms/{roomId}/unban',
  'rooms/{roomId}/typing/{userId}',
  'rooms/{roomId}/receipt/{receiptType}/{eventId}',
  'rooms/{roomId}/read_markers',
  'rooms/{roomId}/report/{eventId}',
  'rooms/{roomId}/upgrade',
  'createRoom',
  'join/{roomIdOrAlias}',
  'joined_rooms',
  'directory/room/{roomAlias}',
  'directory/list/room/{roomId}',
  'publicRooms',
  'user_directory/search',
  'profile/{userId}',
  'profile/{userId}/displayname',
  'profile/{userId}/avatar_url',
  'voip/turnServer',
  'presence/{userId}/status',
  'sendToDevice/{eventType}/{txnId}',
  'devices',
  'devices/{deviceId}',
  'delete_devices',
  'keys/upload',
  'keys/query',
  'keys/claim',
  'keys/changes',
  'pushers',
  'pushers/set',
  'notifications',
  'pushrules',
  'pushrules/{scope}',
  'pushrules/{scope}/{kind}/{ruleId}',
  'pushrules/{scope}/{kind}/{ruleId}/enabled',
  'pushrules/{scope}/{kind}/{ruleId}/actions',
  'search',
  'user/{userId}/rooms/{roomId}/tags',
  'user/{userId}/rooms/{roomId}/tags/{tag}',
  'user/{userId}/account_data/{type}',
  'user/{userId}/rooms/{roomId}/account_data/{type}',
  'user/{userId}/openid/request_token',
  'admin/whois/{userId}',
  'thirdparty/protocols',
  'thirdparty/protocol/{protocol}',
  'thirdparty/location/{protocol}',
  'thirdparty/user/{protocol}',
  'thirdparty/location',
  'thirdparty/user',
];

export const R0_MEDIA_PATHS: readonly string[] = [
  'upload',
  'download/{serverName}/{mediaId}',
  'download/{serverName}/{mediaId}/{fileName}',
  'thumbnail/{serverName}/{mediaId}',
  'preview_url',
  'config',
];

// A trailing slash is allowed because the routers ignore one (`pushrules/`, `state/{type}/` with an empty key).
const compile = (paths: readonly string[]) =>
  new RegExp(`^(?:${paths.map((p) => p.replace(/\{[^}]+\}/g, '[^/]+')).join('|')})/?$`);
const KNOWN = { client: compile(R0_CLIENT_PATHS), media: compile(R0_MEDIA_PATHS) };

/** The v3 URL an r0.6.1 request is served as, or the URL unchanged. */
export function rewriteLegacyR0(url: string): string {
  const match = /^\/_matrix\/(client|media)\/r0\/([^?]*)(.*)$/.exec(url);
  if (!match) return url;
  const [, api, path, query] = match;
  return KNOWN[api as keyof typeof KNOWN].test(path) ? `/_matrix/${api}/v3/${path}${query}` : url;
}
