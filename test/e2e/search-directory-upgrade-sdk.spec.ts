import { startEmbeddedServer } from '../support/embedded-server';
import { searchDirectoryUpgradeFlows } from '../support/search-directory-upgrade-flows';

describe('search, directory, upgrades and peeking with matrix-js-sdk against the embedded server', () =>
  searchDirectoryUpgradeFlows(() => startEmbeddedServer()));
