import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { AccountStore } from '@lattice/accounts';
import { Auth, GuestAllowed, Requester, validateBody } from '@lattice/http';
import { deactivateBody, passwordBody } from './account-schemas';
import { requirePassword } from './password-stage';

/** The requester's own account: whoami, password change, deactivation. */
@Controller('_matrix/client/v3/account')
export class AccountController {
  constructor(private readonly accounts: AccountStore) {}

  @GuestAllowed()
  @Get('whoami')
  whoami(@Auth() requester: Requester) {
    return { user_id: requester.userId, device_id: requester.deviceId, is_guest: requester.isGuest };
  }

  /** Changing the password logs out every other device unless logout_devices is false. */
  @Post('password')
  @HttpCode(200)
  async changePassword(@Auth() requester: Requester, @Body() raw: unknown) {
    const body = validateBody(passwordBody, raw);
    await requirePassword(this.accounts, requester.userId, body.auth);
    await this.accounts.setPassword(requester.userId, body.new_password);
    if (body.logout_devices) await this.accounts.deleteDevices(requester.userId, undefined, requester.deviceId);
    return {};
  }

  @Post('deactivate')
  @HttpCode(200)
  async deactivate(@Auth() requester: Requester, @Body() raw: unknown) {
    const body = validateBody(deactivateBody, raw);
    await requirePassword(this.accounts, requester.userId, body.auth);
    await this.accounts.deactivate(requester.userId, body.erase === true);
    return { id_server_unbind_result: 'no-support' };
  }
}
