import { startEmbeddedServer } from '../support/embedded-server';
import { relationFlows } from '../support/relation-flows';

describe('threads, edits and reactions with matrix-js-sdk against the embedded server', () =>
  relationFlows(() => startEmbeddedServer()));
