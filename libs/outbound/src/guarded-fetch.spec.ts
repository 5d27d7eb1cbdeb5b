import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressPolicy } from './address-policy';
import { guardedFetch, ResponseTooLargeError } from './guarded-fetch';
import { RefusedDestinationError } from './guarded-lookup';

describe('guardedFetch', () => {
  let server: Server;
  let base: string;
  const loopbackAllowed = new AddressPolicy({ allowRanges: ['127.0.0.0/8'], denyRanges: [] });
  const defaults = new AddressPolicy({ allowRanges: [], denyRanges: [] });

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/page') return res.end('hello');
      if (req.url === '/to-page') return res.writeHead(302, { location: '/page' }).end();
      if (req.url === '/to-private') return res.writeHead(302, { location: 'http://10.1.2.3/secret' }).end();
      if (req.url === '/big') return res.end(Buffer.alloc(10_000));
      if (req.url === '/big-chunked') {
        res.write(Buffer.alloc(600));
        return res.end(Buffer.alloc(600));
      }
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000).unref();
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });

  const options = { maxBytes: 1000, timeoutMs: 500 };

  it('fetches from an address the policy allows, following redirects', async () => {
    const response = await guardedFetch(new URL(`${base}/to-page`), { ...options, addresses: loopbackAllowed });
    expect(response).toMatchObject({ status: 200, body: Buffer.from('hello') });
    expect(response.url.pathname).toBe('/page');
  });

  it('refuses loopback under the default policy', async () => {
    await expect(guardedFetch(new URL(`${base}/page`), { ...options, addresses: defaults })).rejects.toBeInstanceOf(
      RefusedDestinationError,
    );
  });

  it('refuses a name resolving to loopback under the default policy', async () => {
    await expect(
      guardedFetch(new URL(base.replace('127.0.0.1', 'localhost') + '/page'), { ...options, addresses: defaults }),
    ).rejects.toBeInstanceOf(RefusedDestinationError);
  });

  it('refuses a redirect to a private address', async () => {
    await expect(
      guardedFetch(new URL(`${base}/to-private`), { ...options, addresses: loopbackAllowed }),
    ).rejects.toBeInstanceOf(RefusedDestinationError);
  });

  it('cuts off a body over the size limit', async () => {
    await expect(
      guardedFetch(new URL(`${base}/big`), { ...options, addresses: loopbackAllowed }),
    ).rejects.toBeInstanceOf(ResponseTooLargeError);
  });

  it('cuts off a body of no declared length once it passes the size limit', async () => {
    await expect(
      guardedFetch(new URL(`${base}/big-chunked`), { ...options, addresses: loopbackAllowed }),
    ).rejects.toBeInstanceOf(ResponseTooLargeError);
  });

  it('gives up after the time limit', async () => {
    await expect(guardedFetch(new URL(`${base}/slow`), { ...options, addresses: loopbackAllowed })).rejects.toThrow(
      /timed out/,
    );
  });

  it('fetches only http and https', async () => {
    await expect(
      guardedFetch(new URL('file:///etc/passwd'), { ...options, addresses: loopbackAllowed }),
    ).rejects.toThrow(/Only http and https/);
  });
});
