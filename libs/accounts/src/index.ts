export * from './account-store';
export * from './passwords';
export * from './tokens';
export * from './localpart';
export * from './token-cache';
export * from './device-key-store';
export * from './openid-tokens';
export * from './device-list-store';
