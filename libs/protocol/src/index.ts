export * from './events';
export * from './room-versions';
