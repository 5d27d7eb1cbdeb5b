export * from './types';
export * from './check-event-auth';
export * from './check-auth-events';
export * from './auth-events-selection';
export * from './power-levels';
export * from './auth-events-lookup';
export * from './restricted-join';
