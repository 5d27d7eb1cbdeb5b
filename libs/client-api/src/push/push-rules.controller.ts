import { Controller, Get } from '@nestjs/common';
import { Auth, Requester } from '@lattice/http';
import { defaultPushRules } from './default-push-rules';

/** GET /pushrules/: the predefined rules; user-defined rules come with the push gateway work. */
@Controller('_matrix/client/v3')
export class PushRulesController {
  @Get('pushrules/')
  rules(@Auth() r: Requester) {
    return defaultPushRules(r.userId, r.userId.slice(1, r.userId.indexOf(':')));
  }
}
