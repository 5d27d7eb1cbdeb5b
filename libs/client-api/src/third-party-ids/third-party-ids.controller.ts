import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { MatrixError, Public, RateLimited, validateBody } from '@lattice/http';
import { z } from 'zod';

const clientSecret = z.string().regex(/^[0-9a-zA-Z.=_-]{1,255}$/, 'must be 1 to 255 of [0-9a-zA-Z.=_-]');
const emailBody = z.object({
  client_secret: clientSecret,
  email: z.string().min(1),
  send_attempt: z.number().int(),
  next_link: z.string().optional(),
  id_server: z.string().optional(),
  id_access_token: z.string().optional(),
});
const msisdnBody = z.object({
  client_secret: clientSecret,
  country: z.string().min(1),
  phone_number: z.string().min(1),
  send_attempt: z.number().int(),
  next_link: z.string().optional(),
  id_server: z.string().optional(),
  id_access_token: z.string().optional(),
});
const addBody = z.object({
  client_secret: clientSecret,
  sid: z.string().min(1),
  auth: z.record(z.string(), z.unknown()).optional(),
});
const bindBody = z.object({
  client_secret: clientSecret,
  sid: z.string().min(1),
  id_server: z.string().min(1),
  id_access_token: z.string().min(1),
});
const removeBody = z.object({
  medium: z.enum(['email', 'msisdn']),
  address: z.string().min(1),
  id_server: z.string().optional(),
});

/** The spec's answer when a server validates no email addresses or phone numbers (administrative_contact.yaml requestToken, 400). */
const mediumNotSupported = () =>
  new MatrixError(
    400,
    'M_THREEPID_MEDIUM_NOT_SUPPORTED',
    'This server does not validate email addresses or phone numbers',
  );

/**
 * Third-party identifiers (client-server-api "Adding Account Administrative
 * Contact Information", and the requestToken endpoints of registration and
 * password reset). This server sends no email or SMS and uses no identity
 * server (/capabilities says m.3pid_changes is off), so: accounts have no
 * 3PIDs; every requestToken is 400 M_THREEPID_MEDIUM_NOT_SUPPORTED; adding
 * one names a validation session that cannot exist (M_THREEPID_AUTH_FAILED);
 * binding names an identity server this server does not trust
 * (M_SERVER_NOT_TRUSTED); deleting and unbinding have nothing to unbind from
 * an identity server ("no-support"). Bodies are validated first, as
 * everywhere.
 */
@Controller('_matrix/client/v3')
export class ThirdPartyIdsController {
  @Get('account/3pid')
  list() {
    return { threepids: [] };
  }

  @Post('account/3pid/add')
  @HttpCode(200)
  @RateLimited()
  add(@Body() raw: unknown) {
    const { sid } = validateBody(addBody, raw);
    throw new MatrixError(
      403,
      'M_THREEPID_AUTH_FAILED',
      `No validation session ${sid}: this server validates no third-party identifiers`,
    );
  }

  @Post('account/3pid/bind')
  @HttpCode(200)
  @RateLimited()
  bind(@Body() raw: unknown) {
    const { id_server: idServer } = validateBody(bindBody, raw);
    throw new MatrixError(400, 'M_SERVER_NOT_TRUSTED', `This server does not use identity servers (${idServer})`);
  }

  @Post(['account/3pid/delete', 'account/3pid/unbind'])
  @HttpCode(200)
  remove(@Body() raw: unknown) {
    validateBody(removeBody, raw);
    return { id_server_unbind_result: 'no-support' };
  }

  @Post(['account/3pid/email/requestToken', 'register/email/requestToken', 'account/password/email/requestToken'])
  @HttpCode(200)
  @Public()
  @RateLimited()
  requestEmailToken(@Body() raw: unknown) {
    validateBody(emailBody, raw);
    throw mediumNotSupported();
  }

  @Post(['account/3pid/msisdn/requestToken', 'register/msisdn/requestToken', 'account/password/msisdn/requestToken'])
  @HttpCode(200)
  @Public()
  @RateLimited()
  requestMsisdnToken(@Body() raw: unknown) {
    validateBody(msisdnBody, raw);
    throw mediumNotSupported();
  }
}
