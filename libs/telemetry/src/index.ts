export * from './start-telemetry';
export * from './metrics';
export * from './untraced';
export * from './log-context';
export * from './json-logger';
export * from './text-logger';
