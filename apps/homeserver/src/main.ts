/** The single-process server (embedded default): every service in one process, or the one named by LATTICE_ROLE. */
import 'reflect-metadata';
import { runService } from '@lattice/runtime';

runService().catch((e) => {
  console.error(e);
  process.exit(1);
});
