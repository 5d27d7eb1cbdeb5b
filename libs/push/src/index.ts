export * from './push.module';
