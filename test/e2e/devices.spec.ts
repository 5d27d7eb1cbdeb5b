import { deviceFlows } from '../support/device-flows';
import { startEmbeddedServer } from '../support/embedded-server';

describe('device management against the embedded server', () => deviceFlows(() => startEmbeddedServer()));
