import { dehydratedDeviceFlows } from '../support/dehydrated-device-flows';
import { startEmbeddedServer } from '../support/embedded-server';

describe('dehydrated devices against the embedded server', () => dehydratedDeviceFlows(() => startEmbeddedServer()));
