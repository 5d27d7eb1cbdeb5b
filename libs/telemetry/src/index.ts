export * from './start-telemetry';
export * from './metrics';
export * from './sdk-context';
export * from './log-context';
export * from './json-logger';
export * from './text-logger';
