import type { PrismaClient } from '@lattice/storage';
import { LOGIN_TOKEN_TTL_MS, LoginTokens } from './login-tokens';

/** An in-memory stand-in for the login_tokens table. */
function fakeDb() {
  const rows = new Map<string, { tokenHash: string; userId: string; expiresAt: Date }>();
  const loginToken = {
    create: async ({ data }: { data: { tokenHash: string; userId: string; expiresAt: Date } }) =>
      void rows.set(data.tokenHash, data),
    findUnique: async ({ where }: { where: { tokenHash: string } }) => rows.get(where.tokenHash) ?? null,
    deleteMany: async ({ where }: { where: { tokenHash: string } }) => ({
      count: rows.delete(where.tokenHash) ? 1 : 0,
    }),
  };
  return { loginToken } as unknown as PrismaClient;
}

describe('LoginTokens', () => {
  afterEach(() => jest.useRealTimers());

  it('gives the user a token was issued to', async () => {
    const tokens = new LoginTokens(fakeDb());
    const { token } = await tokens.issue('@a:x');
    expect(await tokens.consume(token)).toBe('@a:x');
  });

  it('refuses a token the second time', async () => {
    const tokens = new LoginTokens(fakeDb());
    const { token } = await tokens.issue('@a:x');
    await tokens.consume(token);
    expect(await tokens.consume(token)).toBeUndefined();
  });

  it('refuses a token once its lifetime has passed', async () => {
    jest.useFakeTimers();
    const tokens = new LoginTokens(fakeDb());
    const { token } = await tokens.issue('@a:x');
    jest.advanceTimersByTime(LOGIN_TOKEN_TTL_MS);
    expect(await tokens.consume(token)).toBeUndefined();
  });
});
