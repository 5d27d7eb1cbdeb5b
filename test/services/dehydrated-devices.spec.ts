import { dehydratedDeviceFlows } from '../support/dehydrated-device-flows';
import { startServicesDeployment } from '../support/services-deployment';

describe('dehydrated devices against services mode behind nginx', () =>
  dehydratedDeviceFlows(() => startServicesDeployment()));
