import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressPolicy } from './address-policy';
import { assertAllowedLiteral, guardedLookup } from './guarded-lookup';

export interface GuardedFetchOptions {
  /** Every connection, redirects' included, goes only to addresses this allows. */
  addresses: AddressPolicy;
  /** The body is cut off with ResponseTooLargeError past this many bytes. */
  maxBytes: number;
  /** For the whole exchange, redirects included. */
  timeoutMs: number;
  maxRedirects?: number;
  headers?: Record<string, string>;
  /** Certificates trusted for https URLs; the system's when left out. */
  ca?: string[];
}

export interface GuardedResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** Where the answer came from after redirects. */
  url: URL;
}

export class ResponseTooLargeError extends Error {}

/**
 * A GET of a URL a user (not this server) chose, e.g. for a URL preview:
 * http or https only, every hop's address checked against the outbound
 * policy before connecting, redirects followed by hand so each is checked,
 * the body bounded in size and the whole exchange in time.
 */
export async function guardedFetch(url: URL, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const deadline = Date.now() + options.timeoutMs;
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await fetchOnce(current, options, deadline);
    const location = response.headers.location;
    if (response.status < 300 || response.status >= 400 || !location) return { ...response, url: current };
    if (hop >= (options.maxRedirects ?? 5)) throw new Error(`Too many redirects from ${url.href}`);
    current = new URL(location, current);
  }
}

const agents = new WeakMap<AddressPolicy, { http: HttpAgent; https: HttpsAgent }>();

/** Connections kept alive per policy, so one is only reused by requests its address was checked for. */
function agentsFor(addresses: AddressPolicy) {
  let pair = agents.get(addresses);
  if (!pair) agents.set(addresses, (pair = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) }));
  return pair;
}

function fetchOnce(url: URL, options: GuardedFetchOptions, deadline: number): Promise<Omit<GuardedResponse, 'url'>> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return reject(new Error(`Only http and https URLs can be fetched, not ${url.protocol}`));
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    try {
      assertAllowedLiteral(options.addresses, host);
    } catch (e) {
      return reject(e);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) return reject(new Error(`Fetching ${url.href} timed out`));
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const pair = agentsFor(options.addresses);
    const req = send(
      url,
      {
        method: 'GET',
        agent: secure ? pair.https : pair.http,
        lookup: guardedLookup(options.addresses),
        headers: { 'user-agent': 'Lattice (Matrix homeserver)', ...options.headers },
        ...(secure && options.ca ? { ca: options.ca } : {}),
      },
      (res) => {
        const declared = Number(res.headers['content-length']);
        if (declared > options.maxBytes) return req.destroy(new ResponseTooLargeError(`${url.href} is larger than ${options.maxBytes} bytes`));
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) req.destroy(new ResponseTooLargeError(`${url.href} is larger than ${options.maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`Fetching ${url.href} timed out after ${options.timeoutMs} ms`)), remaining);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}
