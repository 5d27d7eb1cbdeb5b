export * from './ip-ranges';
export * from './address-policy';
export * from './guarded-lookup';
export * from './guarded-fetch';
