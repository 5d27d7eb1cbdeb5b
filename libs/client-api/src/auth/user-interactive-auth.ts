import { randomBytes } from 'node:crypto';
import { MatrixError } from '@lattice/http';

/** One UIA flow: the stages a client must complete, in order. */
export interface UiaFlow {
  stages: string[];
}

/** The `auth` dict a client sends back (client-server-api "User-interactive authentication API"). */
export interface AuthDict {
  type?: string;
  session?: string;
  [key: string]: unknown;
}

/**
 * The 401 that starts (or continues) user-interactive auth: it carries the
 * flows and a session ID instead of a plain error body.
 */
export class UiaChallenge extends MatrixError {
  constructor(
    private readonly flows: UiaFlow[],
    private readonly session: string,
    private readonly failure?: { errcode: string; error: string },
  ) {
    super(401, failure?.errcode ?? 'M_FORBIDDEN', failure?.error ?? 'Additional authentication required');
  }

  override toJSON(): Record<string, unknown> {
    return { flows: this.flows, params: {}, session: this.session, completed: [], ...(this.failure ?? {}) };
  }
}

/**
 * Single-stage UIA without server-side session state: each flow here has one
 * stage whose check needs nothing from an earlier request, so any client-api
 * process can complete a session another one started.
 *
 * `check` returns an error message when the stage's credentials are wrong.
 */
export async function completeSingleStageAuth(
  auth: AuthDict | undefined,
  flows: UiaFlow[],
  check: (stage: string, auth: AuthDict) => Promise<string | undefined>,
): Promise<void> {
  const session = typeof auth?.session === 'string' ? auth.session : randomBytes(12).toString('base64url');
  if (!auth || typeof auth.type !== 'string') throw new UiaChallenge(flows, session);
  if (!flows.some((f) => f.stages.length === 1 && f.stages[0] === auth.type)) {
    throw new UiaChallenge(flows, session, {
      errcode: 'M_UNRECOGNIZED',
      error: `Auth type ${auth.type} is not offered here`,
    });
  }
  const failure = await check(auth.type, auth);
  if (failure) throw new UiaChallenge(flows, session, { errcode: 'M_FORBIDDEN', error: failure });
}
