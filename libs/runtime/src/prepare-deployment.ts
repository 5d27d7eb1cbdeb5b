/**
 * The chart's pre-install/pre-upgrade Job (see check-deployment.ts). Loaded on call: this library's index is
 * also runService's, which must start tracing before the database driver loads.
 */
export async function prepareDeployment(env: NodeJS.ProcessEnv): Promise<void> {
  const { checkDeployment } = await import('./check-deployment');
  await checkDeployment(env);
}
