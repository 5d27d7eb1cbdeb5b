import { Body, Controller, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { AdminGuard, localUser } from '@lattice/accounts';
import { z } from 'zod';
import type { TenantConfig } from '@lattice/config';
import { Auth, Requester, Tenant, validateBody } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import { ServerNotices } from './server-notices';

const noticeBody = z.object({
  user_id: z.string(),
  content: z.record(z.string(), z.unknown()),
  type: z.string().default('m.room.message'),
  state_key: z.string().optional(),
});

/** Synapse's server notices admin API: POST, or PUT with a transaction ID, which answers a repeat with the first event. */
@Controller('_synapse/admin/v1/send_server_notice')
@UseGuards(AdminGuard)
export class ServerNoticesController {
  constructor(private readonly notices: ServerNotices) {}

  @Post()
  @HttpCode(200)
  send(@Tenant() tenant: TenantConfig, @Body() raw: unknown) {
    return this.sendNotice(tenant, raw);
  }

  /** The transaction is the admin's device's, as a client's /send transaction is (client-server-api "Transaction identifiers"). */
  @Put(':txnId')
  sendWithTxn(
    @Auth() admin: Requester,
    @Tenant() tenant: TenantConfig,
    @Param('txnId') txnId: string,
    @Body() raw: unknown,
  ) {
    return this.sendNotice(tenant, raw, { deviceId: `${admin.userId}|${admin.deviceId}`, txnId });
  }

  private async sendNotice(tenant: TenantConfig, raw: unknown, txn?: { deviceId: string; txnId: string }) {
    const body = validateBody(noticeBody, raw);
    const eventId = await this.notices.send(
      tenant.serverName,
      localUser(tenant.serverName, body.user_id),
      { type: body.type, stateKey: body.state_key, content: body.content as JsonObject },
      txn,
    );
    return { event_id: eventId };
  }
}
