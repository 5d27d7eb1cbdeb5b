/** The app-service sender on its own, for services mode. */
import 'reflect-metadata';
import { runService } from '@lattice/runtime';

runService('appservice').catch((e) => {
  console.error(e);
  process.exit(1);
});
