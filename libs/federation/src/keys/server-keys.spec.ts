import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, signJson } from '@lattice/protocol';
import { openDatabase, type Database } from '@lattice/storage';
import type { FederationClient } from '../client/federation-client';
import { ServerKeys, type LocalKeys } from './server-keys';

const REMOTE = 'remote.example';
const remoteKey = generateSigningKey();

let db: Database;
beforeAll(async () => {
  db = await openDatabase({ kind: 'embedded', dataDir: mkdtempSync(join(tmpdir(), 'lattice-keys-')) });
}, 60_000);
afterAll(async () => db.close());

describe('ServerKeys', () => {
  it('has requests that need an unknown key at the same time all wait for the one fetch of it', async () => {
    let fetches = 0;
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    // The remote server answers /_matrix/key/v2/server only when the test says: both lookups ask meanwhile.
    const client = {
      get: async () => {
        fetches++;
        await answered;
        return signJson(
          {
            server_name: REMOTE,
            valid_until_ts: Date.now() + 3600_000,
            verify_keys: { [remoteKey.keyId]: { key: remoteKey.publicKeyBase64 } },
            old_verify_keys: {},
          },
          REMOTE,
          remoteKey,
        );
      },
    } as unknown as FederationClient;
    const keys = new ServerKeys(db.prisma, client, {} as LocalKeys, { isLocal: () => false, keyServers: [] });

    const lookups = [1, 2].map(() => keys.publicKey(REMOTE, remoteKey.keyId, Date.now()));
    while (fetches === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    // Time for the second lookup to come to the fetch under way (and, were it not waited for, to give up).
    await new Promise((resolve) => setTimeout(resolve, 200));
    answer();
    const found = await Promise.all(lookups);

    expect(fetches).toBe(1);
    expect(found.map((key) => key?.export({ format: 'der', type: 'spki' }))).toEqual([
      remoteKey.publicKey.export({ format: 'der', type: 'spki' }),
      remoteKey.publicKey.export({ format: 'der', type: 'spki' }),
    ]);
  });
});
