export * from './bus';
export * from './in-process-bus';
export * from './request-batcher';
export * from './nats/connect-nats-bus';
