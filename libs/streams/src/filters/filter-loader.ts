import { Inject, Injectable } from '@nestjs/common';
import { Errors } from '@lattice/http';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { filterIdOf } from './filter-id';
import { syncFilterSchema, type SyncFilter } from './filter-schema';

/** Resolves a `filter` parameter: inline JSON, or the ID of a filter the user stored. */
@Injectable()
export class FilterLoader {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async load(userId: string, param: string): Promise<SyncFilter> {
    if (param.trim().startsWith('{')) return parseFilter(param);
    const id = filterIdOf(param);
    const row =
      id === undefined
        ? null
        : await this.db.filter.findUnique({ where: { userId_filterId: { userId, filterId: id } } });
    if (!row) throw Errors.notFound(`Filter ${param} not found`);
    return parseFilter(row.json);
  }
}

export function parseFilter(json: string): SyncFilter {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw Errors.notJson('filter is not valid JSON');
  }
  const result = syncFilterSchema.safeParse(raw);
  if (!result.success)
    throw Errors.badJson(`Invalid filter: ${result.error.issues[0].path.join('.')} ${result.error.issues[0].message}`);
  return result.data;
}
