export * from './discovery/resolve-server-name';
export * from './discovery/network-lookups';
export * from './client/federation-client';
export * from './keys/key-response';
export * from './keys/server-keys';
export * from './events/check-incoming-pdu';
export * from './membership/remote-join';
export * from './membership/remote-invite';
