/** The media service on its own, for services mode. */
import 'reflect-metadata';
import { runService } from '@lattice/runtime';

runService('media').catch((e) => {
  console.error(e);
  process.exit(1);
});
