export * from './database';
export * from './migrate';
export * from './sql-executor';
export * from './stream-positions';
export { PrismaClient, Prisma } from './generated/prisma/client';
export * from './partition-epochs';
export * from './position-cache';
export * from './room-restrictions';
export * from './notification-counts';
