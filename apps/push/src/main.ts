/** The push service (push rules evaluation and delivery to push gateways) on its own, for services mode. */
import 'reflect-metadata';
import { runService } from '@lattice/runtime';

runService('push').catch((e) => {
  console.error(e);
  process.exit(1);
});
