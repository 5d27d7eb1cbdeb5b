/**
 * The chart's pre-install/pre-upgrade Job: creates the generatable secrets that are missing
 * (create-missing-secrets.ts), then checks the rest (check-deployment.ts). Loaded on call: this library's
 * index is also runService's, which must start tracing before the database driver loads.
 */
export async function prepareDeployment(env: NodeJS.ProcessEnv): Promise<void> {
  const { createMissingSecrets } = await import('./create-missing-secrets');
  await createMissingSecrets(env);
  const { checkDeployment } = await import('./check-deployment');
  await checkDeployment(env);
}
