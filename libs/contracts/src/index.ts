export * from './room-input';
export * from './output';
export * from './subjects';
export * from './refusal';
