export * from './run-service';
export type { RunningLattice } from './start-lattice';
export * from './prepare-deployment';
