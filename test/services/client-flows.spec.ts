import { clientFlows } from '../support/client-flows';
import { startServicesDeployment } from '../support/services-deployment';

describe('matrix-js-sdk against services mode behind nginx', () => clientFlows(() => startServicesDeployment()));
