export * from './room-server.module';
