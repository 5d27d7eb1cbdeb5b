export * from './federation-api.module';
