export * from './client-api.module';
