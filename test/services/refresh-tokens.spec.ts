import { LIFETIME_MS, refreshTokenFlows } from '../support/refresh-token-flows';
import { startServicesDeployment } from '../support/services-deployment';

/** Every process must refuse an expired token and accept the refreshed one: 2 client-api and 2 sync workers behind nginx. */
describe('refresh tokens against services mode behind nginx', () =>
  refreshTokenFlows(() => {
    // The processes take their configuration from the environment they are started with.
    process.env.LATTICE_ACCESS_TOKEN_LIFETIME_MS = String(LIFETIME_MS);
    return startServicesDeployment();
  }));
