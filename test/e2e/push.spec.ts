import { startEmbeddedServer } from '../support/embedded-server';
import { pushFlows } from '../support/push-flows';

describe('push rules, unread counts and pushers with matrix-js-sdk against the embedded server', () =>
  pushFlows(() => startEmbeddedServer()));
