import { startEmbeddedServer } from '../support/embedded-server';
import { LIFETIME_MS, refreshTokenFlows } from '../support/refresh-token-flows';

describe('refresh tokens against the embedded server', () =>
  refreshTokenFlows(() => startEmbeddedServer({ auth: { accessTokenLifetimeMs: LIFETIME_MS } })));
