export * from './registration';
export * from './appservice-registry';
export * from './appservice-client';
export * from './appservice-authenticator';
export * from './namespace-queries';
