/** The chart's pre-install/pre-upgrade Job: checks secrets, migrates, refuses a changed bus.partitions (exit 1 with the reason). */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { prepareDeployment } from '@lattice/runtime';

prepareDeployment(process.env).then(
  () => process.exit(0),
  (e: Error) => {
    new Logger('PrepareDeployment').error(e.message);
    process.exit(1);
  },
);
