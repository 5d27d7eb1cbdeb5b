export * from './room-reader';
export * from './client-event';
export * from './keyring';
export * from './room-server.module';
