import { startEmbeddedServer } from '../support/embedded-server';
import { mediaFlows } from '../support/media-flows';

/** The single-process server with its default, local, media storage. */
describe('media through matrix-js-sdk, single process', () => mediaFlows(() => startEmbeddedServer()));
