import { e2eeFlows } from '../support/e2ee-flows';
import { startServicesDeployment } from '../support/services-deployment';

describe('send-to-device and device lists against services mode behind nginx', () =>
  e2eeFlows(() => startServicesDeployment()));
