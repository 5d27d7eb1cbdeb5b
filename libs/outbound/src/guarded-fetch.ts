import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressPolicy } from './address-policy';
import { assertAllowedLiteral, guardedLookup } from './guarded-lookup';

export interface GuardedRequestOptions {
  /** Every connection, redirects' included, goes only to addresses this allows. */
  addresses: AddressPolicy;
  /** Until the (last redirect's) answer headers arrive. */
  timeoutMs: number;
  maxRedirects?: number;
  headers?: Record<string, string>;
  /** Certificates trusted for https URLs; the system's when left out. */
  ca?: string[];
}

export interface GuardedFetchOptions extends GuardedRequestOptions {
  /** The body is cut off with ResponseTooLargeError past this many bytes. */
  maxBytes: number;
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
 * A GET of a URL this server did not choose (a URL a user previews, a media
 * Location another server gave): http or https only, every hop's address
 * checked against the outbound policy before connecting, redirects followed
 * by hand so each one is checked. The answer's body streams: the caller
 * reads or destroys it.
 */
export async function guardedRequest(
  url: URL,
  options: GuardedRequestOptions,
): Promise<{ response: IncomingMessage; url: URL }> {
  const deadline = Date.now() + options.timeoutMs;
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await requestOnce(current, options, deadline);
    const location = response.headers.location;
    const status = response.statusCode ?? 0;
    if (status < 300 || status >= 400 || !location) return { response, url: current };
    response.resume();
    if (hop >= (options.maxRedirects ?? 5)) throw new Error(`Too many redirects from ${url.href}`);
    current = new URL(location, current);
  }
}

/** guardedRequest with the body read whole, bounded in size, the time limit covering the body too. */
export async function guardedFetch(url: URL, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const deadline = Date.now() + options.timeoutMs;
  const { response, url: from } = await guardedRequest(url, options);
  const declared = Number(response.headers['content-length']);
  if (declared > options.maxBytes) {
    response.destroy();
    throw new ResponseTooLargeError(`${from.href} is larger than ${options.maxBytes} bytes`);
  }
  const timer = setTimeout(
    () => response.destroy(new Error(`Fetching ${url.href} timed out after ${options.timeoutMs} ms`)),
    Math.max(0, deadline - Date.now()),
  );
  try {
    const body = await readBounded(response, options.maxBytes, from);
    return { status: response.statusCode ?? 0, headers: response.headers, body, url: from };
  } finally {
    clearTimeout(timer);
  }
}

async function readBounded(response: IncomingMessage, maxBytes: number, from: URL): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      response.destroy();
      throw new ResponseTooLargeError(`${from.href} is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const agents = new WeakMap<AddressPolicy, { http: HttpAgent; https: HttpsAgent }>();

/** Connections kept alive per policy, so one is only reused by requests its address was checked for. */
function agentsFor(addresses: AddressPolicy) {
  let pair = agents.get(addresses);
  if (!pair)
    agents.set(
      addresses,
      (pair = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) }),
    );
  return pair;
}

function requestOnce(url: URL, options: GuardedRequestOptions, deadline: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return reject(new Error(`Only http and https URLs can be fetched, not ${url.protocol}`));
    try {
      assertAllowedLiteral(options.addresses, url.hostname.replace(/^\[(.*)\]$/, '$1'));
    } catch (e) {
      return reject(e);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) return reject(new Error(`Fetching ${url.href} timed out after ${options.timeoutMs} ms`));
    const secure = url.protocol === 'https:';
    const pair = agentsFor(options.addresses);
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        agent: secure ? pair.https : pair.http,
        lookup: guardedLookup(options.addresses),
        headers: { 'user-agent': 'Lattice (Matrix homeserver)', ...options.headers },
        ...(secure && options.ca ? { ca: options.ca } : {}),
      },
      (res) => {
        clearTimeout(timer);
        resolve(res);
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`Fetching ${url.href} timed out after ${options.timeoutMs} ms`)),
      remaining,
    );
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}
