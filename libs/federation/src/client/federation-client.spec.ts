import { createServer, type Server } from 'node:net';
import { AddressPolicy, RefusedDestinationError } from '@lattice/outbound';
import { generateSigningKey } from '@lattice/protocol';
import { FederationClient } from './federation-client';

/** Discovery that is never asked: every destination here is an IP literal with a port. */
const noLookups = { wellKnown: async () => undefined, srv: async () => [] };

function client(allowRanges: string[], onRefused = jest.fn()) {
  const key = generateSigningKey();
  return new FederationClient({
    signingKey: async () => key,
    ca: [],
    addresses: new AddressPolicy({ allowRanges, denyRanges: [] }),
    onRefused,
    lookups: noLookups,
    timeoutMs: 2_000,
  });
}

describe('FederationClient and the outbound address policy', () => {
  let listener: Server;
  let connections = 0;
  let port: number;

  beforeAll(async () => {
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => listener.close(resolve)));

  it('refuses a destination at a refused address without connecting to it', async () => {
    const before = connections;
    await expect(client([]).get(`127.0.0.1:${port}`, '/_matrix/key/v2/server')).rejects.toBeInstanceOf(
      RefusedDestinationError,
    );
    expect(connections).toBe(before);
  });

  it('refuses a host name that resolves only to refused addresses, without connecting', async () => {
    const before = connections;
    await expect(client([]).get(`localhost:${port}`, '/_matrix/key/v2/server')).rejects.toThrow(
      /^Refused to connect to localhost: /,
    );
    expect(connections).toBe(before);
  });

  it('reports each refused request, naming the destination', async () => {
    const onRefused = jest.fn();
    await client([], onRefused)
      .get(`127.0.0.1:${port}`, '/_matrix/key/v2/server')
      .catch(() => undefined);
    expect(onRefused).toHaveBeenCalledWith(`127.0.0.1:${port}`, expect.any(RefusedDestinationError));
  });

  it('connects to an address the configuration allows', async () => {
    const before = connections;
    const onRefused = jest.fn();
    await expect(
      client(['127.0.0.0/8'], onRefused).get(`127.0.0.1:${port}`, '/_matrix/key/v2/server'),
    ).rejects.not.toBeInstanceOf(RefusedDestinationError);
    expect(connections).toBe(before + 1);
    expect(onRefused).not.toHaveBeenCalled();
  });
});
