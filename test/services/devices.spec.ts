import { deviceFlows } from '../support/device-flows';
import { startServicesDeployment } from '../support/services-deployment';

describe('device management against services mode behind nginx', () => deviceFlows(() => startServicesDeployment()));
