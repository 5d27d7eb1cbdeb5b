import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { z } from 'zod';
import { AccountStore } from '@lattice/accounts';
import { LATTICE_CONFIG, type LatticeConfig, type TenantConfig } from '@lattice/config';
import { Errors, MatrixError, Public, RateLimited, Tenant, validateBody } from '@lattice/http';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { issueNonce, nonceIsValid, registrationMac, sameHex } from './shared-secret';

const registerBody = z.object({
  nonce: z.string(),
  username: z.string().min(1),
  password: z.string().min(1),
  admin: z.boolean().optional(),
  displayname: z.string().optional(),
  user_type: z.string().nullable().optional(),
  mac: z.string(),
});

/**
 * Synapse's shared-secret registration (POST /_synapse/admin/v1/register),
 * which Complement and provisioning scripts use to make users, admins among
 * them, without the registration flow: the caller proves it knows
 * admin.registrationSharedSecret with an HMAC over a fresh nonce.
 */
@Controller('_synapse/admin/v1')
export class SharedSecretRegistrationController {
  constructor(
    @Inject(LATTICE_CONFIG) private readonly config: LatticeConfig,
    @Inject(PRISMA) private readonly db: PrismaClient,
    private readonly accounts: AccountStore,
  ) {}

  @Get('register')
  @Public()
  @RateLimited()
  nonce() {
    return { nonce: issueNonce(this.secret()) };
  }

  @Post('register')
  @HttpCode(200)
  @Public()
  @RateLimited()
  async register(@Tenant() tenant: TenantConfig, @Body() raw: unknown) {
    const secret = this.secret();
    const body = validateBody(registerBody, raw);
    if (!nonceIsValid(secret, body.nonce)) throw new MatrixError(400, 'M_UNKNOWN', 'unrecognised nonce');
    const userType = body.user_type ?? undefined;
    const expected = registrationMac(secret, {
      nonce: body.nonce,
      username: body.username,
      password: body.password,
      admin: body.admin === true,
      userType,
    });
    if (!sameHex(body.mac, expected)) throw Errors.forbidden('HMAC incorrect');

    const userId = await this.accounts.createUser(tenant.serverName, body.username.toLowerCase(), body.password);
    if (body.admin === true) await this.db.user.update({ where: { userId }, data: { isAdmin: true } });
    if (body.displayname !== undefined) await this.accounts.setProfileField(userId, 'displayname', body.displayname);
    const session = await this.accounts.startSession(userId, {});
    return {
      user_id: userId,
      access_token: session.accessToken,
      home_server: tenant.serverName,
      device_id: session.deviceId,
    };
  }

  private secret(): string {
    const secret = this.config.admin.registrationSharedSecret;
    if (secret === undefined) throw new MatrixError(400, 'M_UNKNOWN', 'Shared secret registration is not enabled');
    return secret;
  }
}
