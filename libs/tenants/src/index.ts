export * from './tenant-store';
export * from './tenant-registry';
