export * from './media.module';
export * from './media-config.controller';
