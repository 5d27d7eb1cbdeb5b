import { z } from 'zod';

/**
 * An application service's registration (application-service-api
 * "Registration"), as bridges write it in YAML. Pure: parsing and namespace
 * matching, no I/O.
 */

export interface Namespace {
  exclusive: boolean;
  regex: RegExp;
}

export interface AppserviceRegistration {
  /** The tenant (server name) the service is registered with. */
  serverName: string;
  id: string;
  /** Where transactions and queries go; null: the service only uses the client-server API. */
  url: string | null;
  asToken: string;
  hsToken: string;
  senderLocalpart: string;
  /** `@<sender_localpart>:<server name>`. */
  sender: string;
  users: Namespace[];
  aliases: Namespace[];
  rooms: Namespace[];
  rateLimited: boolean;
  protocols: string[];
  /** receive_ephemeral (v1.13), or MSC2409's earlier names: typing, receipts, presence and to-device in transactions. */
  receiveEphemeral: boolean;
  /** MSC3202: device lists, one-time-key counts and device masquerading. */
  msc3202: boolean;
}

export class RegistrationError extends Error {}

const namespaceList = z
  .array(z.object({ exclusive: z.boolean(), regex: z.string().min(1) }).loose())
  .nullish()
  .transform((list) => list ?? []);

const registrationSchema = z
  .object({
    id: z.string().min(1),
    url: z.string().nullable(),
    as_token: z.string().min(1),
    hs_token: z.string().min(1),
    sender_localpart: z.string().min(1),
    namespaces: z.object({ users: namespaceList, aliases: namespaceList, rooms: namespaceList }).loose(),
    rate_limited: z.boolean().optional(),
    protocols: z.array(z.string().min(1)).nullish(),
    receive_ephemeral: z.boolean().optional(),
    push_ephemeral: z.boolean().optional(),
    'de.sorunome.msc2409.push_ephemeral': z.boolean().optional(),
    'org.matrix.msc3202': z.boolean().optional(),
  })
  .loose();

/**
 * Parses and checks one registration: the required fields, a URL that is
 * http(s) when given, and every namespace regex compiled now, so a bad file
 * stops the server at start instead of failing on the first event.
 */
export function parseRegistration(raw: unknown, serverName: string, source: string): AppserviceRegistration {
  const parsed = registrationSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RegistrationError(
      `${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  const r = parsed.data;
  if (r.url !== null && !/^https?:\/\/[^/]+/.test(r.url))
    throw new RegistrationError(`${source}: url must be an http(s) URL or null`);
  const compile =
    (kind: string) =>
    (entry: { exclusive: boolean; regex: string }, index: number): Namespace => {
      try {
        // Whole-ID match: `@_irc_.*` covers `@_irc_bob:example.org`; a prefix alone would also cover `@_irc_x` followed by anything.
        return { exclusive: entry.exclusive, regex: new RegExp(`^(?:${entry.regex})$`) };
      } catch (e) {
        throw new RegistrationError(
          `${source}: namespaces.${kind}[${index}].regex is not a valid regular expression: ${(e as Error).message}`,
        );
      }
    };
  return {
    serverName,
    id: r.id,
    url: r.url === null ? null : r.url.replace(/\/+$/, ''),
    asToken: r.as_token,
    hsToken: r.hs_token,
    senderLocalpart: r.sender_localpart,
    sender: `@${r.sender_localpart}:${serverName}`,
    users: r.namespaces.users.map(compile('users')),
    aliases: r.namespaces.aliases.map(compile('aliases')),
    rooms: r.namespaces.rooms.map(compile('rooms')),
    // The spec's default is true: a service is rate limited unless it says otherwise.
    rateLimited: r.rate_limited ?? true,
    protocols: r.protocols ?? [],
    receiveEphemeral: r.receive_ephemeral ?? r.push_ephemeral ?? r['de.sorunome.msc2409.push_ephemeral'] ?? false,
    msc3202: r['org.matrix.msc3202'] ?? false,
  };
}

function matches(namespaces: Namespace[], value: string, exclusiveOnly = false): boolean {
  return namespaces.some((ns) => (!exclusiveOnly || ns.exclusive) && ns.regex.test(value));
}

/** A local user the service may act as: its sender, or one of its user namespaces (exclusive or not). */
export function coversUser(registration: AppserviceRegistration, userId: string): boolean {
  return (
    userId === registration.sender ||
    (serverOf(userId) === registration.serverName && matches(registration.users, userId))
  );
}

/** The service claims this user ID for itself alone: nobody else may register it. */
export function claimsUserExclusively(registration: AppserviceRegistration, userId: string): boolean {
  return userId === registration.sender || matches(registration.users, userId, true);
}

export function coversAlias(registration: AppserviceRegistration, alias: string): boolean {
  return matches(registration.aliases, alias);
}

export function claimsAliasExclusively(registration: AppserviceRegistration, alias: string): boolean {
  return matches(registration.aliases, alias, true);
}

export function coversRoom(registration: AppserviceRegistration, roomId: string): boolean {
  return matches(registration.rooms, roomId);
}

function serverOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}
