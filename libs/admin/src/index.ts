export * from './admin.module';
export * from './shared-secret';
