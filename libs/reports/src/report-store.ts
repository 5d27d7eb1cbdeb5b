import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** What a report names: a room; an event (with its room); or a user. */
export interface ReportSubject {
  roomId?: string;
  eventId?: string;
  userId?: string;
}

export interface StoredReport {
  id: bigint;
  reporter: string;
  roomId: string | null;
  eventId: string | null;
  userId: string | null;
  reason: string | null;
  receivedTs: number;
}

/** What was reported: an event (client-server-api report_content), a room (report_room) or a user (report_user). */
export type ReportKind = 'event' | 'room' | 'user';

/** Which reports an admin asks for: Synapse's event_reports / user_reports filters and page. */
export interface ReportQuery {
  from: number;
  limit: number;
  /** b: newest first (Synapse's default), f: oldest first. */
  dir: 'f' | 'b';
  /** Reports made by users whose ID contains this. */
  reporter?: string;
  /** Reports in (of) rooms whose ID contains this. */
  roomId?: string;
  /** Reports of users whose ID contains this. */
  userId?: string;
}

const KIND_WHERE = {
  event: { eventId: { not: null } },
  room: { roomId: { not: null }, eventId: null },
  user: { userId: { not: null } },
} as const;

/**
 * The `reports` table: each report kept for the administrators of the
 * reporter's tenant (`server_name`). Shared: the client-api takes reports,
 * the admin API reads and resolves them.
 */
@Injectable()
export class ReportStore {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async add(serverName: string, reporter: string, subject: ReportSubject, reason: string | undefined): Promise<void> {
    await this.db.report.create({ data: { serverName, reporter, ...subject, reason } });
  }

  /** A page of the tenant's reports of one kind and how many match in all. */
  async reports(
    serverName: string,
    kind: ReportKind,
    query: ReportQuery,
  ): Promise<{ reports: StoredReport[]; total: number }> {
    const where = {
      serverName,
      ...KIND_WHERE[kind],
      ...(query.reporter ? { reporter: { contains: query.reporter } } : {}),
      ...(query.roomId ? { roomId: { contains: query.roomId } } : {}),
      ...(query.userId ? { userId: { contains: query.userId } } : {}),
    };
    const [rows, total] = await Promise.all([
      this.db.report.findMany({
        where,
        orderBy: { id: query.dir === 'f' ? 'asc' : 'desc' },
        skip: query.from,
        take: query.limit,
      }),
      this.db.report.count({ where }),
    ]);
    return { reports: rows.map(toReport), total };
  }

  async report(serverName: string, kind: ReportKind, id: bigint): Promise<StoredReport | undefined> {
    const row = await this.db.report.findFirst({ where: { serverName, id, ...KIND_WHERE[kind] } });
    return row ? toReport(row) : undefined;
  }

  /** False when the tenant has no such report of that kind. */
  async deleteReport(serverName: string, kind: ReportKind, id: bigint): Promise<boolean> {
    const { count } = await this.db.report.deleteMany({ where: { serverName, id, ...KIND_WHERE[kind] } });
    return count === 1;
  }
}

function toReport(row: {
  id: bigint;
  reporter: string;
  roomId: string | null;
  eventId: string | null;
  userId: string | null;
  reason: string | null;
  createdAt: Date;
}): StoredReport {
  return {
    id: row.id,
    reporter: row.reporter,
    roomId: row.roomId,
    eventId: row.eventId,
    userId: row.userId,
    reason: row.reason,
    receivedTs: row.createdAt.getTime(),
  };
}
