import { clientFlows } from '../support/client-flows';
import { startEmbeddedServer } from '../support/embedded-server';

describe('matrix-js-sdk against the embedded server', () => clientFlows(() => startEmbeddedServer()));
