import { e2eeSetupFlows } from '../support/e2ee-setup-flows';
import { startServicesDeployment } from '../support/services-deployment';

describe('end-to-end encryption set up as Element does, against services mode behind nginx', () =>
  e2eeSetupFlows(() => startServicesDeployment()));
