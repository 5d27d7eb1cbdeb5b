export * from './lattice-tenant';
export * from './operator-settings';
export * from './operator.module';
export * from './tenant-admin';
export * from './tenant-objects';
export * from './tenant-reconciler';
export * from './cluster-objects';
export * from './tenant-routes';
