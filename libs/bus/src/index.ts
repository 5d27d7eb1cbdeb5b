export * from './bus';
export * from './in-process-bus';
export * from './nats/nats-bus';
