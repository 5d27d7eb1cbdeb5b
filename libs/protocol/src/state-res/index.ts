export * from './event-source';
export * from './resolve-state';
