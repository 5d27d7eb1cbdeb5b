import { startSynapse } from '../../test/support/synapse';
import { createScratchDatabase, dropScratchDatabase } from '../../tools/services/scratch-servers';
import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { cpuSeconds, pssMiB, rssMiB, type BenchTarget } from './targets';

/**
 * Synapse (LATTICE_SYNAPSE_PYTHON) on a fresh Postgres database of the server at `postgresUrl`, as the benches
 * compare it: Postgres as Synapse is deployed, rate limits out of the way as the Lattice targets have theirs
 * (benchConfig), everything else Synapse's default unless `config` says otherwise. `cleanup` drops the database once it has stopped.
 */
export async function startSynapseOnPostgres(
  postgresUrl: string,
  databasePrefix: string,
  config: Record<string, unknown> = {},
): Promise<{ target: BenchTarget; cleanup: () => Promise<void> }> {
  // Synapse refuses a database whose collation is not C.
  const databaseUrl = new URL(
    await createScratchDatabase(
      postgresUrl,
      databasePrefix,
      "TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' ENCODING 'UTF8'",
    ),
  );
  const synapse = await startSynapse(makeTestCertificates(), {
    config: {
      database: {
        name: 'psycopg2',
        args: {
          user: databaseUrl.username,
          password: decodeURIComponent(databaseUrl.password),
          host: databaseUrl.hostname,
          port: Number(databaseUrl.port || 5432),
          database: databaseUrl.pathname.slice(1),
          cp_min: 5,
          cp_max: 10,
        },
      },
      bcrypt_rounds: 4,
      rc_message: { per_second: 100_000, burst_count: 100_000 },
      rc_joins: {
        local: { per_second: 100_000, burst_count: 100_000 },
        remote: { per_second: 100_000, burst_count: 100_000 },
      },
      rc_joins_per_room: { per_second: 100_000, burst_count: 100_000 },
      rc_room_creation: { per_second: 100_000, burst_count: 100_000 },
      ...config,
    },
  });
  return {
    target: {
      url: synapse.clientUrl,
      databaseUrl: databaseUrl.toString(),
      rss: () => ({ synapse: rssMiB(synapse.pid()) }),
      pss: () => ({ synapse: pssMiB(synapse.pid()) }),
      cpuSeconds: () => cpuSeconds(synapse.pid()),
      cpuSecondsByProcess: () => ({ synapse: cpuSeconds(synapse.pid()) }),
      oneCoreEach: ['synapse'],
      stop: () => synapse.stop(),
    },
    cleanup: () => dropScratchDatabase(databaseUrl.toString()),
  };
}
