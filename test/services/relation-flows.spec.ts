import { relationFlows } from '../support/relation-flows';
import { startServicesDeployment } from '../support/services-deployment';

describe('threads, edits and reactions with matrix-js-sdk against services mode behind nginx', () =>
  relationFlows(() => startServicesDeployment()));
