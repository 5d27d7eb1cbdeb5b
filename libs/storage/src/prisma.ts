import type { Provider } from '@nestjs/common';
import { DATABASE, type Database } from './database';

/**
 * Dependency-injection token of the Prisma client every store queries
 * through: stores are providers that inject it, not classes their callers
 * build around `db.prisma`. The Database stays under DATABASE for what
 * needs its raw executor (migrations, readiness probes, pool metrics).
 */
export const PRISMA = Symbol('PrismaClient');

/** The open Database's Prisma client under PRISMA. */
export const PRISMA_PROVIDER: Provider = {
  provide: PRISMA,
  useFactory: (db: Database) => db.prisma,
  inject: [DATABASE],
};
