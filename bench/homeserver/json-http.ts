import { Agent, request } from 'node:http';

/**
 * One keep-alive pool for the whole bench. node:http, not fetch: on this
 * 2-core machine the load generator shares the CPU with the server, and
 * fetch spends about three times the CPU per request (measured on a bare
 * Node server: ~135 µs against ~55 µs per request, client and server
 * together), which services mode, the one that uses both cores, pays for.
 */
const agent = new Agent({ keepAlive: true });

/** A JSON request over plain HTTP: the status and the parsed body. */
export function jsonRequest<T>(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: object,
): Promise<{ status: number; body: T }> {
  return send<T>(url, method, headers, body === undefined ? undefined : JSON.stringify(body), true);
}

function send<T>(
  url: string,
  method: string,
  headers: Record<string, string>,
  payload: string | undefined,
  mayRetry: boolean,
): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
          } catch (e) {
            reject(
              new Error(`${method} ${url}: ${res.statusCode} with a body that is not JSON: ${(e as Error).message}`),
            );
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      // A kept-alive connection the server closed while idle fails as it is reused: the request never reached
      // the server, so it goes again, once, on a fresh connection (the retry Node's documentation describes).
      if (mayRetry && req.reusedSocket && e.code === 'ECONNRESET')
        send<T>(url, method, headers, payload, false).then(resolve, reject);
      else reject(e);
    });
    req.end(payload);
  });
}
