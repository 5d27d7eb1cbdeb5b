import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { load as parseYaml } from 'js-yaml';
import { registrationMac } from '@lattice/admin';

/** What the CLI needs from its environment: where the server is and the secrets it may use. */
export interface CliEnvironment {
  /** LATTICE_ADMIN_URL: any process serving the client-api (default http://127.0.0.1:8008). */
  url: string;
  /** LATTICE_ADMIN_TOKEN: the operator token, for tenants. */
  operatorToken?: string;
  /** LATTICE_REGISTRATION_SHARED_SECRET: for `register`. */
  sharedSecret?: string;
  /** LATTICE_ACCESS_TOKEN: an admin user's access token, for `api`. */
  accessToken?: string;
}

export interface CliAnswer {
  status: number;
  body: unknown;
}

export const USAGE = `Usage: npm run admin -- <command>
  tenants list
  tenants get <server-name>
  tenants create <server-name> [--hostname <host>]... [--registration open|token|closed] [--guests] [--public-base-url <url>] [--federation-host <host[:port]>]
  tenants update <server-name> [same options]
  tenants disable <server-name>
  tenants enable <server-name>
  tenants tokens <server-name> [<token-file>]...    (the operator-managed registration tokens become these files' contents; none clears them)
  appservices list <server-name>
  appservices add <server-name> <registration.yaml>
  appservices remove <server-name> <id>
  register <server-name> <username> [--password <password>] [--admin]
  api <server-name> <GET|POST|PUT|DELETE> <path> [<json body>]    (Synapse admin API with LATTICE_ACCESS_TOKEN)
Environment: LATTICE_ADMIN_URL, LATTICE_ADMIN_TOKEN, LATTICE_REGISTRATION_SHARED_SECRET, LATTICE_ACCESS_TOKEN`;

export class CliUsageError extends Error {}

/**
 * The admin CLI: each command is one or two requests to the admin API, the
 * same API any tool uses (so the CLI can do nothing the API cannot).
 */
export async function runAdminCommand(args: readonly string[], env: CliEnvironment): Promise<CliAnswer> {
  const [group, action, ...rest] = args;
  if (group === 'tenants') return tenantsCommand(action, rest, env);
  if (group === 'appservices') return appservicesCommand(action, rest, env);
  if (group === 'register')
    return registerCommand(
      [action, ...rest].filter((a) => a !== undefined),
      env,
    );
  if (group === 'api') {
    const [method, path, body] = rest;
    if (!action || !method || !path) throw new CliUsageError(USAGE);
    return call(
      env.url,
      action,
      method.toUpperCase(),
      path,
      need(env.accessToken, 'LATTICE_ACCESS_TOKEN'),
      body === undefined ? undefined : JSON.parse(body),
    );
  }
  throw new CliUsageError(USAGE);
}

async function tenantsCommand(action: string | undefined, rest: string[], env: CliEnvironment): Promise<CliAnswer> {
  const token = need(env.operatorToken, 'LATTICE_ADMIN_TOKEN');
  const base = '/_lattice/admin/v1/tenants';
  const [name, ...options] = rest;
  const at = (serverName: string | undefined) => `${base}/${encodeURIComponent(need(serverName, 'a server name'))}`;
  switch (action) {
    case 'list':
      return call(env.url, 'localhost', 'GET', base, token);
    case 'get':
      return call(env.url, 'localhost', 'GET', at(name), token);
    case 'create':
    case 'update':
      return call(env.url, 'localhost', 'PUT', at(name), token, tenantOptions(options));
    case 'disable':
      return call(env.url, 'localhost', 'DELETE', at(name), token);
    case 'enable':
      return call(env.url, 'localhost', 'PUT', at(name), token, { disabled: false });
    case 'tokens':
      // From files (a mounted Secret's keys, say), not arguments: a command line is visible to every local user.
      return call(env.url, 'localhost', 'PUT', `${at(name)}/registration_tokens`, token, {
        tokens: options.map((file) => readFileSync(file, 'utf8').trim()),
      });
    default:
      throw new CliUsageError(USAGE);
  }
}

async function appservicesCommand(action: string | undefined, rest: string[], env: CliEnvironment): Promise<CliAnswer> {
  const token = need(env.operatorToken, 'LATTICE_ADMIN_TOKEN');
  const [serverName, arg] = rest;
  const base = `/_lattice/admin/v1/tenants/${encodeURIComponent(need(serverName, 'a server name'))}/appservices`;
  switch (action) {
    case 'list':
      return call(env.url, 'localhost', 'GET', base, token);
    case 'add':
      return call(
        env.url,
        'localhost',
        'POST',
        base,
        token,
        parseYaml(readFileSync(need(arg, 'a registration file'), 'utf8')),
      );
    case 'remove':
      return call(env.url, 'localhost', 'DELETE', `${base}/${encodeURIComponent(need(arg, 'an id'))}`, token);
    default:
      throw new CliUsageError(USAGE);
  }
}

/** The body of a tenant PUT from command-line options. */
export function tenantOptions(options: readonly string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const hostnames: string[] = [];
  const registration: Record<string, unknown> = {};
  for (let i = 0; i < options.length; i++) {
    const value = () => {
      const v = options[++i];
      if (v === undefined) throw new CliUsageError(`${options[i - 1]} needs a value`);
      return v;
    };
    switch (options[i]) {
      case '--hostname':
        hostnames.push(value());
        break;
      case '--registration':
        registration.mode = value();
        break;
      case '--guests':
        registration.guests = true;
        break;
      case '--public-base-url':
        body.public_base_url = value();
        break;
      case '--federation-host':
        body.federation_host = value();
        break;
      default:
        throw new CliUsageError(`Unknown option ${options[i]}\n${USAGE}`);
    }
  }
  if (hostnames.length > 0) body.hostnames = hostnames;
  if (Object.keys(registration).length > 0) body.registration = registration;
  return body;
}

async function registerCommand(args: string[], env: CliEnvironment): Promise<CliAnswer> {
  const secret = need(env.sharedSecret, 'LATTICE_REGISTRATION_SHARED_SECRET');
  const [serverName, username, ...options] = args;
  if (!serverName || !username) throw new CliUsageError(USAGE);
  const admin = options.includes('--admin');
  const passwordAt = options.indexOf('--password');
  const password = passwordAt === -1 ? undefined : options[passwordAt + 1];
  if (password === undefined) throw new CliUsageError('register needs --password <password>');
  const nonce = await call(env.url, serverName, 'GET', '/_synapse/admin/v1/register');
  if (nonce.status !== 200) return nonce;
  const n = (nonce.body as { nonce: string }).nonce;
  return call(env.url, serverName, 'POST', '/_synapse/admin/v1/register', undefined, {
    nonce: n,
    username,
    password,
    admin,
    mac: registrationMac(secret, { nonce: n, username, password, admin }),
  });
}

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new CliUsageError(`Missing ${what}`);
  return value;
}

/** One request, with the tenant named by the Host header (fetch cannot set Host). */
function call(
  url: string,
  host: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<CliAnswer> {
  const target = new URL(path, url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const send = target.protocol === 'https:' ? httpsRequest : request;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method,
        headers: {
          host,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
