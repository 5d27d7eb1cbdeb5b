export * from './appservice.module';
export * from './appservice-queue';
