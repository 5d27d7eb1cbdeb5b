import { e2eeSetupFlows } from '../support/e2ee-setup-flows';
import { startEmbeddedServer } from '../support/embedded-server';

describe('end-to-end encryption set up as Element does, against the embedded server', () =>
  e2eeSetupFlows(() => startEmbeddedServer()));
