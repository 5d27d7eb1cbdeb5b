import { searchDirectoryUpgradeFlows } from '../support/search-directory-upgrade-flows';
import { startServicesDeployment } from '../support/services-deployment';

describe('search, directory, upgrades and peeking with matrix-js-sdk against services mode behind nginx', () =>
  searchDirectoryUpgradeFlows(() => startServicesDeployment()));
