export * from './federation-api.module';
export * from './auth/federation-auth.guard';
export * from './partial-state/partial-state-resync';
