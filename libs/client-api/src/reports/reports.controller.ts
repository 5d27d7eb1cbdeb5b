import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { TenantDirectory, type TenantConfig } from '@lattice/config';
import { Auth, Errors, RateLimited, Requester, Tenant, validateBody } from '@lattice/http';
import { isValidHistoricalUserId, serverNameOf } from '@lattice/protocol';
import { z } from 'zod';
import { StorageAccess } from '../storage-access';
import { ReportStore } from '@lattice/reports';

/** report_content.yaml: a reason, which may be blank; required for rooms and users, optional for events. */
const reason = z.string().max(4096);
const eventReportBody = z.object({ reason: reason.optional() });
const reportBody = z.object({ reason });

/**
 * Reporting content (client-server-api "Reporting content"): each report is
 * stored in `reports` for the administrators of the reporter's tenant. A
 * room, event or user this server does not know is 404 M_NOT_FOUND, as the
 * spec allows; an event can only be reported by a joined member who may see
 * it.
 */
@Controller('_matrix/client/v3')
export class ReportsController {
  constructor(
    private readonly storage: StorageAccess,
    private readonly accounts: AccountStore,
    private readonly tenants: TenantDirectory,
    private readonly reports: ReportStore,
  ) {}

  @Post('rooms/:roomId/report')
  @HttpCode(200)
  @RateLimited()
  async room(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('roomId') roomId: string, @Body() raw: unknown) {
    const body = validateBody(reportBody, raw);
    if (!(await this.storage.reader.roomVersion(roomId))) throw Errors.notFound('The room was not found.');
    await this.reports.add(t.serverName, r.userId, { roomId }, body.reason);
    return {};
  }

  @Post('rooms/:roomId/report/:eventId')
  @HttpCode(200)
  @RateLimited()
  async event(
    @Auth() r: Requester,
    @Tenant() t: TenantConfig,
    @Param('roomId') roomId: string,
    @Param('eventId') eventId: string,
    @Body() raw: unknown,
  ) {
    const body = validateBody(eventReportBody, raw);
    const notFound = () => Errors.notFound('The event was not found or you are not joined to the room.');
    if ((await this.storage.reader.membership(roomId, r.userId)) !== 'join') throw notFound();
    const event = await this.storage.reader.event(eventId);
    if (
      !event ||
      event.roomId !== roomId ||
      (await this.storage.visibility.visibleToUser(r.userId, [event])).length === 0
    )
      throw notFound();
    await this.reports.add(t.serverName, r.userId, { roomId, eventId }, body.reason);
    return {};
  }

  @Post('users/:userId/report')
  @HttpCode(200)
  @RateLimited()
  async user(@Auth() r: Requester, @Tenant() t: TenantConfig, @Param('userId') userId: string, @Body() raw: unknown) {
    const body = validateBody(reportBody, raw);
    if (!isValidHistoricalUserId(userId)) throw Errors.invalidParam(`Invalid user ID ${userId}`);
    // A user of another server is known here only by what it sent; its server is not asked.
    if (this.tenants.isLocal(serverNameOf(userId) ?? '') && !(await this.accounts.getProfile(userId)))
      throw Errors.notFound('The user was not found.');
    await this.reports.add(t.serverName, r.userId, { userId }, body.reason);
    return {};
  }
}
