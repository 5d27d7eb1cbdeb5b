export * from './federation-api.module';
export * from './auth/federation-auth.guard';
