import { Controller, Delete, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AdminGuard } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Errors, nextToken, queryChoice, queryInt, Tenant } from '@lattice/http';
import { ReportStore, type StoredReport } from '@lattice/reports';
import { AdminRooms } from '../rooms/admin-rooms';

/**
 * Synapse's event reports admin API: the reports the tenant's users made of
 * events (client-server-api POST /rooms/{roomId}/report/{eventId}), newest
 * first, with the room's name and alias and the reported event's sender;
 * one report adds the event itself. Deleting one marks it dealt with.
 */
@Controller('_synapse/admin/v1/event_reports')
@UseGuards(AdminGuard)
export class EventReportsController {
  constructor(
    private readonly reports: ReportStore,
    private readonly rooms: AdminRooms,
  ) {}

  @Get()
  async list(
    @Tenant() tenant: TenantConfig,
    @Query('from') from?: string,
    @Query('limit') limit?: string,
    @Query('dir') dir?: string,
    @Query('user_id') userId?: string,
    @Query('room_id') roomId?: string,
  ) {
    const page = { from: queryInt(from, 0, 'from'), limit: queryInt(limit, 100, 'limit') };
    const { reports, total } = await this.reports.reports(tenant.serverName, 'event', {
      ...page,
      dir: queryChoice(dir, ['f', 'b'] as const, 'b', 'dir'),
      ...(userId ? { reporter: userId } : {}),
      ...(roomId ? { roomId } : {}),
    });
    const event_reports = [];
    for (const report of reports) event_reports.push(await this.view(tenant.serverName, report));
    return { event_reports, total, ...nextToken(page.from, reports.length, total) };
  }

  @Get(':reportId')
  async get(@Tenant() tenant: TenantConfig, @Param('reportId') reportId: string) {
    const report = await this.reports.report(tenant.serverName, 'event', reportIdOf(reportId));
    if (!report) throw Errors.notFound('Event report not found');
    const event = await this.rooms.event(report.eventId!);
    return { ...(await this.view(tenant.serverName, report)), event_json: event?.pdu ?? null };
  }

  @Delete(':reportId')
  async delete(@Tenant() tenant: TenantConfig, @Param('reportId') reportId: string) {
    if (!(await this.reports.deleteReport(tenant.serverName, 'event', reportIdOf(reportId))))
      throw Errors.notFound('Event report not found');
    return {};
  }

  private async view(serverName: string, report: StoredReport) {
    const room = await this.rooms.room(serverName, report.roomId!).then(
      ({ summary }) => summary,
      () => undefined,
    );
    const event = await this.rooms.event(report.eventId!);
    return {
      id: Number(report.id),
      received_ts: report.receivedTs,
      room_id: report.roomId,
      name: room?.name ?? null,
      canonical_alias: room?.canonical_alias ?? null,
      event_id: report.eventId,
      user_id: report.reporter,
      reason: report.reason,
      // The spec removed the score from reports (client-server-api report_content, v1.18); kept, null, for Synapse's shape.
      score: null,
      sender: event?.pdu.sender ?? null,
    };
  }
}

/** Report IDs are positive integers; anything else names no report. */
export function reportIdOf(raw: string): bigint {
  if (!/^\d{1,18}$/.test(raw)) throw Errors.invalidParam('The report ID must be a positive integer');
  return BigInt(raw);
}
