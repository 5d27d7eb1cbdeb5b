import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import type { TenantConfig } from '@lattice/config';
import { Tenant, validateBody } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';
import { AdminGuard, localUser } from '../admin.guard';
import { ServerNotices } from './server-notices';

const noticeBody = z.object({
  user_id: z.string(),
  content: z.record(z.string(), z.unknown()),
  type: z.string().default('m.room.message'),
  state_key: z.string().optional(),
});

/** Synapse's server notices admin API (POST; the PUT form with a transaction ID is not offered, as nothing would make it idempotent). */
@Controller('_synapse/admin/v1/send_server_notice')
@UseGuards(AdminGuard)
export class ServerNoticesController {
  constructor(private readonly notices: ServerNotices) {}

  @Post()
  @HttpCode(200)
  async send(@Tenant() tenant: TenantConfig, @Body() raw: unknown) {
    const body = validateBody(noticeBody, raw);
    const eventId = await this.notices.send(tenant.serverName, localUser(tenant.serverName, body.user_id), { type: body.type, stateKey: body.state_key, content: body.content as JsonObject });
    return { event_id: eventId };
  }
}
