import { Controller, Delete, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AdminGuard } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { Errors, nextToken, queryChoice, queryInt, Tenant } from '@lattice/http';
import { ReportStore, type StoredReport } from '@lattice/reports';
import { reportIdOf } from './event-reports.controller';

/**
 * Synapse's user reports admin API: the reports the tenant's users made of
 * other users (client-server-api POST /users/{userId}/report), newest first,
 * filtered by reporter (`user_id`) and reported user (`target_user_id`).
 * Deleting one marks it dealt with.
 */
@Controller('_synapse/admin/v1/user_reports')
@UseGuards(AdminGuard)
export class UserReportsController {
  constructor(private readonly reports: ReportStore) {}

  @Get()
  async list(
    @Tenant() tenant: TenantConfig,
    @Query('from') from?: string,
    @Query('limit') limit?: string,
    @Query('dir') dir?: string,
    @Query('user_id') reporter?: string,
    @Query('target_user_id') target?: string,
  ) {
    const page = { from: queryInt(from, 0, 'from'), limit: queryInt(limit, 100, 'limit') };
    const { reports, total } = await this.reports.reports(tenant.serverName, 'user', {
      ...page,
      dir: queryChoice(dir, ['f', 'b'] as const, 'b', 'dir'),
      ...(reporter ? { reporter } : {}),
      ...(target ? { userId: target } : {}),
    });
    return { user_reports: reports.map(view), total, ...nextToken(page.from, reports.length, total) };
  }

  @Get(':reportId')
  async get(@Tenant() tenant: TenantConfig, @Param('reportId') reportId: string) {
    const report = await this.reports.report(tenant.serverName, 'user', reportIdOf(reportId));
    if (!report) throw Errors.notFound('User report not found');
    return view(report);
  }

  @Delete(':reportId')
  async delete(@Tenant() tenant: TenantConfig, @Param('reportId') reportId: string) {
    if (!(await this.reports.deleteReport(tenant.serverName, 'user', reportIdOf(reportId))))
      throw Errors.notFound('User report not found');
    return {};
  }
}

function view(report: StoredReport) {
  return {
    id: Number(report.id),
    received_ts: report.receivedTs,
    target_user_id: report.userId,
    user_id: report.reporter,
    reason: report.reason,
  };
}
