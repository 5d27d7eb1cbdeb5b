/** The client-api service on its own, for services mode. */
import 'reflect-metadata';
import { runService } from '@lattice/runtime';

runService('client-api').catch((e) => {
  console.error(e);
  process.exit(1);
});
