import type { AccountStore } from '@lattice/accounts';
import { Errors } from '@lattice/http';
import type { AuthDict } from '../auth/user-interactive-auth';
import { completeSingleStageAuth } from '../auth/user-interactive-auth';

/**
 * Re-authentication for sensitive account changes (password, deactivation):
 * the m.login.password stage, for the requester's own account only. Naming
 * another account is not a failed stage to retry but a refusal, 403 as for an
 * identifier the server does not accept (client-server-api "Password-based").
 */
export async function requirePassword(
  accounts: AccountStore,
  userId: string,
  auth: AuthDict | undefined,
): Promise<void> {
  await completeSingleStageAuth(auth, [{ stages: ['m.login.password'] }], async (_stage, dict) => {
    const identifier = dict.identifier as { type?: string; user?: string } | undefined;
    const claimed = identifier?.user ?? (dict.user as string | undefined) ?? userId;
    if (claimed !== userId && !userId.startsWith(`@${claimed}:`))
      throw Errors.forbidden('You can only authenticate as yourself');
    const password = dict.password;
    if (typeof password !== 'string' || !(await accounts.checkPassword(userId, password))) return 'Invalid password';
    return undefined;
  });
}
