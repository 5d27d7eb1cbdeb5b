import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { AdminGuard, RegistrationTokens } from '@lattice/accounts';
import type { TenantConfig } from '@lattice/config';
import { queryBool, Tenant, validateBody } from '@lattice/http';

const usesAllowed = z.number().int().min(0).nullable();
const expiryTime = z.number().int().min(0).nullable();
const newTokenBody = z.object({
  token: z.string().optional(),
  uses_allowed: usesAllowed.default(null),
  expiry_time: expiryTime.default(null),
  length: z.number().int().min(1).max(64).optional(),
});
const updateTokenBody = z.object({ uses_allowed: usesAllowed.optional(), expiry_time: expiryTime.optional() });

/**
 * Synapse's registration tokens admin API: the tokens of
 * m.login.registration_token (client-server-api "Token-authenticated
 * registration") live in the database per tenant, with uses and expiry.
 */
@Controller('_synapse/admin/v1/registration_tokens')
@UseGuards(AdminGuard)
export class RegistrationTokensController {
  constructor(private readonly tokens: RegistrationTokens) {}

  @Get()
  async list(@Tenant() tenant: TenantConfig, @Query('valid') valid?: string) {
    return { registration_tokens: await this.tokens.list(tenant.serverName, queryBool(valid, 'valid')) };
  }

  @Post('new')
  @HttpCode(200)
  async create(@Tenant() tenant: TenantConfig, @Body() raw: unknown) {
    const body = validateBody(newTokenBody, raw);
    return this.tokens.create(tenant.serverName, {
      token: body.token,
      length: body.length,
      usesAllowed: body.uses_allowed,
      expiryTime: body.expiry_time,
    });
  }

  @Get(':token')
  get(@Tenant() tenant: TenantConfig, @Param('token') token: string) {
    return this.tokens.get(tenant.serverName, token);
  }

  @Put(':token')
  async update(@Tenant() tenant: TenantConfig, @Param('token') token: string, @Body() raw: unknown) {
    const body = validateBody(updateTokenBody, raw);
    return this.tokens.update(tenant.serverName, token, {
      usesAllowed: body.uses_allowed,
      expiryTime: body.expiry_time,
    });
  }

  @Delete(':token')
  async delete(@Tenant() tenant: TenantConfig, @Param('token') token: string) {
    await this.tokens.delete(tenant.serverName, token);
    return {};
  }
}
