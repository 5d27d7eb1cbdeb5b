export * from './sync.module';
export * from './sync-service';
export * from './filters/filter-schema';
export * from './filters/event-filter';
export * from './api/filter-loader';
export * from './streams/account-data-store';
export * from './streams/receipt-store';
export * from './positions/sync-token';
