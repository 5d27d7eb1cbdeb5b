import { Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlExecutor } from './sql-executor';

/** For the failures below that are deliberately gone past (see each one's message). */
const logger = new Logger('migrate');

/**
 * The migrations folder, found from this file whether it runs from sources
 * (libs/storage/src) or from the build (dist/libs/storage/src): never from
 * the working directory, so the server can start from anywhere.
 */
export function migrationsDir(): string {
  for (const up of ['../../..', '../../../..']) {
    const dir = join(__dirname, up, 'prisma/migrations');
    if (existsSync(dir)) return dir;
  }
  throw new Error(`prisma/migrations not found above ${__dirname}`);
}

/** Prisma's own bookkeeping table, so `prisma migrate status` agrees with what ran here. */
const CREATE_HISTORY = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/**
 * Applies the committed migrations that have not run yet, in name order, as
 * `prisma migrate deploy` would, without the Prisma CLI or its engine at
 * runtime. Each migration runs in its own transaction; a changed migration
 * that already ran is an error rather than a silent skip.
 */
export async function migrate(db: SqlExecutor, dir = migrationsDir()): Promise<string[]> {
  return db.withLock(async () => {
    await db.exec(CREATE_HISTORY);
    const applied = new Map(
      (
        await db.query<{ migration_name: string; checksum: string }>(
          'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
        )
      ).map((r) => [r.migration_name, r.checksum]),
    );
    const ran: string[] = [];
    for (const name of readdirSync(dir)
      .filter((d) => existsSync(join(dir, d, 'migration.sql')))
      .sort()) {
      const script = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(script).digest('hex');
      const previous = applied.get(name);
      if (previous !== undefined) {
        if (previous !== checksum) throw new Error(`Migration ${name} was changed after it was applied`);
        continue;
      }
      const record = `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('${randomUUID()}', '${checksum}', now(), '${name.replace(/'/g, "''")}', 1)`;
      try {
        await db.exec(`BEGIN;\n${script}\n;${record};\nCOMMIT;`);
      } catch (e) {
        await db
          .exec('ROLLBACK')
          .catch((e: unknown) =>
            logger.debug(
              `ROLLBACK after a failed migration failed too; the error of the migration is what is reported: ${String(e)}`,
            ),
          );
        throw new Error(`Migration ${name} failed: ${(e as Error).message}`);
      }
      ran.push(name);
    }
    return ran;
  });
}
