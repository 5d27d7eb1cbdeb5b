import type { MatrixClient } from 'matrix-js-sdk';
import type { RunningServer } from './client-flows';
import { startCryptoDevice } from './crypto-client';

/** Where a device's secret storage key comes from when matrix-js-sdk asks for it. */
export type RecoveryKeySource = () => Promise<Uint8Array | undefined> | Uint8Array | undefined;

/**
 * A server started before a suite's tests, and the crypto clients its tests
 * start: every client is stopped before the server closes, so no sync loop
 * outlives the suite.
 */
export function cryptoSuite(start: () => Promise<RunningServer>) {
  let server: RunningServer | undefined;
  const clients: MatrixClient[] = [];

  beforeAll(async () => {
    server = await start();
  }, 60_000);

  afterAll(async () => {
    clients.forEach((c) => c.stopClient());
    await server?.close();
  });

  const url = (): string => {
    if (!server) throw new Error('the suite server has not started');
    return server.url;
  };
  const keep = <T extends MatrixClient>(...started: T[]): T[] => {
    clients.push(...started);
    return started;
  };
  const cryptoDevice = async (
    userId: string,
    accessToken: string,
    deviceId: string,
    recoveryKey: RecoveryKeySource,
  ): Promise<MatrixClient> => {
    const [client] = keep(await startCryptoDevice(url(), { userId, accessToken, deviceId }, recoveryKey));
    return client;
  };
  return { url, keep, cryptoDevice };
}
