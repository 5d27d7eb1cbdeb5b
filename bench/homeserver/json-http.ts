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
export function jsonRequest<T>(url: string, method: string, headers: Record<string, string>, body?: object): Promise<{ status: number; body: T }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch (e) {
          reject(new Error(`${method} ${url}: ${res.statusCode} with a body that is not JSON: ${(e as Error).message}`));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
