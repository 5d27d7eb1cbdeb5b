import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { type TenantConfig } from '@lattice/config';
import { Auth, RateLimited, Requester, Tenant, validateBody } from '@lattice/http';
import { z } from 'zod';
import { UserDirectory } from './user-directory';

/** users.yaml: limit "Defaults to 10"; more than this many is not a directory page. */
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

const searchBody = z.object({ search_term: z.string().max(1000), limit: z.number().int().min(0).optional() });

/** POST /user_directory/search (client-server-api "User Directory"). */
@Controller('_matrix/client/v3/user_directory')
export class UserDirectoryController {
  constructor(private readonly directory: UserDirectory) {}

  @Post('search')
  @HttpCode(200)
  @RateLimited()
  async search(@Auth() r: Requester, @Tenant() t: TenantConfig, @Body() raw: unknown) {
    const body = validateBody(searchBody, raw);
    return this.directory.search(
      r.userId,
      t.serverName,
      body.search_term,
      Math.min(body.limit ?? DEFAULT_LIMIT, MAX_LIMIT),
    );
  }
}
