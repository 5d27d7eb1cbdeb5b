import { join } from 'node:path';
import { LocalDeployment } from './local-deployment';

/**
 * `npm run services`: the whole deployment as separate processes behind
 * nginx. Postgres, NATS (JetStream) and Redis come by URL, as in production.
 */
async function main(): Promise<void> {
  const need = ['LATTICE_DATABASE_URL', 'LATTICE_NATS_URL', 'LATTICE_REDIS_URL'].filter((name) => !process.env[name]);
  if (need.length) {
    console.error(`Set ${need.join(', ')} (see README, "Services mode")`);
    process.exit(2);
  }
  const deployment = new LocalDeployment({
    proxyPort: Number(process.env.LATTICE_PORT ?? 8008),
    basePort: Number(process.env.LATTICE_SERVICES_BASE_PORT ?? 18100),
    databaseUrl: process.env.LATTICE_DATABASE_URL!,
    natsUrl: process.env.LATTICE_NATS_URL!,
    redisUrl: process.env.LATTICE_REDIS_URL!,
    serverName: process.env.LATTICE_SERVER_NAME,
    distDir: join(__dirname, '../..'),
    log: (line) => console.log(line),
  });
  const stop = async () => {
    await deployment.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await deployment.start();
  console.log(
    `Lattice services mode on ${deployment.url}: ${deployment.processes.map((p) => `${p.name}:${p.port}`).join(', ')}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
