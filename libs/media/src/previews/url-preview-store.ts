import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type Prisma, type PrismaClient } from '@lattice/storage';
import type { OpenGraph } from './open-graph';

/** The `url_previews` table: previews as fetched at a time, per tenant and URL. */
@Injectable()
export class UrlPreviewStore {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** The newest unexpired preview fetched at or before `ts`, else the oldest unexpired one (the spec lets a server answer a newer version than asked). */
  async find(tenant: string, url: string, ts: number, now: number): Promise<OpenGraph | undefined> {
    const live = { tenant, url, expiresTs: { gt: BigInt(now) } };
    const row =
      (await this.prisma.urlPreview.findFirst({
        where: { ...live, fetchedTs: { lte: BigInt(ts) } },
        orderBy: { fetchedTs: 'desc' },
      })) ?? (await this.prisma.urlPreview.findFirst({ where: live, orderBy: { fetchedTs: 'asc' } }));
    return row ? (row.og as OpenGraph) : undefined;
  }

  async save(tenant: string, url: string, og: OpenGraph, fetchedTs: number, expiresTs: number): Promise<void> {
    await this.prisma.urlPreview.createMany({
      data: [
        { tenant, url, og: og as Prisma.InputJsonObject, fetchedTs: BigInt(fetchedTs), expiresTs: BigInt(expiresTs) },
      ],
      skipDuplicates: true,
    });
  }
}
