/**
 * The servers the services-mode suite runs against, given by URL (.ci/run
 * starts them; see README "Services mode"). Missing ones fail the suite
 * loudly: a skipped services test proves nothing.
 */
export function servicesEnv(): { postgresUrl: string; natsUrl: string; redisUrl: string } {
  const missing = ['LATTICE_TEST_POSTGRES_URL', 'LATTICE_TEST_NATS_URL', 'LATTICE_TEST_REDIS_URL'].filter(
    (name) => !process.env[name],
  );
  if (missing.length) throw new Error(`The services suite needs ${missing.join(', ')} (see README, "Services mode")`);
  return {
    postgresUrl: process.env.LATTICE_TEST_POSTGRES_URL!,
    natsUrl: process.env.LATTICE_TEST_NATS_URL!,
    redisUrl: process.env.LATTICE_TEST_REDIS_URL!,
  };
}
