import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** What a report names: a room; an event (with its room); or a user. */
export interface ReportSubject {
  roomId?: string;
  eventId?: string;
  userId?: string;
}

/** The `reports` table: each report kept for the administrators of the reporter's tenant (`server_name`). */
@Injectable()
export class ReportStore {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async add(serverName: string, reporter: string, subject: ReportSubject, reason: string | undefined): Promise<void> {
    await this.db.report.create({ data: { serverName, reporter, ...subject, reason } });
  }
}
