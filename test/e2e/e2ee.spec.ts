import { e2eeFlows } from '../support/e2ee-flows';
import { startEmbeddedServer } from '../support/embedded-server';

describe('send-to-device and device lists against the embedded server', () => e2eeFlows(() => startEmbeddedServer()));
