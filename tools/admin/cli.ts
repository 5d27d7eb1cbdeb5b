import { CliUsageError, runAdminCommand } from './admin-cli';

/** `npm run admin -- ...`: prints the API's answer as JSON; exits 1 when the answer is an error, 2 on bad usage. */
async function main(): Promise<void> {
  const answer = await runAdminCommand(process.argv.slice(2), {
    url: process.env.LATTICE_ADMIN_URL ?? 'http://127.0.0.1:8008',
    operatorToken: process.env.LATTICE_ADMIN_TOKEN,
    sharedSecret: process.env.LATTICE_REGISTRATION_SHARED_SECRET,
    accessToken: process.env.LATTICE_ACCESS_TOKEN,
  });
  process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
  process.exitCode = answer.status >= 400 ? 1 : 0;
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exitCode = e instanceof CliUsageError ? 2 : 1;
});
