/** The room-server service on its own, for services mode. */
import 'reflect-metadata';
import { runService } from '@lattice/runtime';

runService('room-server').catch((e) => {
  console.error(e);
  process.exit(1);
});
