export * from './matrix-error';
export * from './exception-filter';
export * from './fastify-setup';
export * from './validate-body';
export * from './rate-limiter';
export * from './request-context';
export * from './request-guard';
export * from './create-http-app';
