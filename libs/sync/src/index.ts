export * from './sync.module';
export * from './sync-service';
