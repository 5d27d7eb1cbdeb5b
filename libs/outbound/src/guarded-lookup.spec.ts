import type { LookupAddress } from 'node:dns';
import { AddressPolicy } from './address-policy';
import { assertAllowedLiteral, guardedLookup, RefusedDestinationError } from './guarded-lookup';

const policy = new AddressPolicy({ allowRanges: [], denyRanges: [] });

/** A resolver answering every name with these addresses, as DNS would. */
const resolvingTo =
  (...addresses: string[]) =>
  (
    _host: string,
    _options: unknown,
    callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) =>
    callback(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );

const lookUp = (lookup: ReturnType<typeof guardedLookup>, all: boolean) =>
  new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) =>
    lookup('example.test', { all }, (error, address, family) => resolve({ error, address, family })),
  );

describe('guardedLookup', () => {
  it('refuses a name whose every address is refused, naming them', async () => {
    const { error } = await lookUp(guardedLookup(policy, resolvingTo('127.0.0.1', '::1')), false);
    expect(error).toBeInstanceOf(RefusedDestinationError);
    expect(error!.message).toBe(
      'Refused to connect to example.test: 127.0.0.1 is a private or reserved address (allow it with outbound.allowRanges); ::1 is a private or reserved address (allow it with outbound.allowRanges)',
    );
  });

  it('connects only to the allowed addresses of a name that has both kinds', async () => {
    expect(await lookUp(guardedLookup(policy, resolvingTo('10.0.0.1', '93.184.216.34')), false)).toEqual({
      error: null,
      address: '93.184.216.34',
      family: 4,
    });
  });

  it('answers every allowed address when the socket asks for all of them', async () => {
    const { address } = await lookUp(
      guardedLookup(policy, resolvingTo('93.184.216.34', '192.168.0.1', '2606:2800:220:1::1')),
      true,
    );
    expect(address).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
  });

  it('passes a resolution failure through unchanged', async () => {
    const failure = Object.assign(new Error('getaddrinfo ENOTFOUND example.test'), { code: 'ENOTFOUND' });
    const { error } = await lookUp(
      guardedLookup(policy, (_h, _o, callback) => callback(failure, [])),
      false,
    );
    expect(error).toBe(failure);
  });
});

describe('assertAllowedLiteral', () => {
  it('throws for a refused IP literal', () => {
    expect(() => assertAllowedLiteral(policy, '169.254.169.254')).toThrow(RefusedDestinationError);
  });

  it('leaves allowed literals and host names to the connection', () => {
    expect(() => assertAllowedLiteral(policy, '93.184.216.34')).not.toThrow();
    expect(() => assertAllowedLiteral(policy, 'example.test')).not.toThrow();
  });
});
