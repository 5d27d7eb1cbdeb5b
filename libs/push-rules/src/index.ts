export * from './rules';
export * from './default-rules';
export * from './conditions';
export * from './evaluate';
export * from './ruleset-edits';
export { splitPropertyPath, propertyAt } from './property-path';
