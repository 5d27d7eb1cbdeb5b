import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import { Auth, Errors, MatrixError, Requester, requireJsonObject } from '@lattice/http';
import {
  deleteRule,
  findRule,
  isRuleKind,
  PushRuleError,
  putRule,
  setRuleActions,
  setRuleEnabled,
  type PushRule,
  type PushRules,
  type RuleKind,
} from '@lattice/push-rules';
import { PushRulesStore } from './push-rules-store';

function kindOf(kind: string): RuleKind {
  if (!isRuleKind(kind)) throw Errors.invalidParam(`Unknown push rule kind ${kind}`);
  return kind;
}

/**
 * The rule a GET reads. A kind this server does not have (a newer one, such as MSC4306's
 * `postcontent`) holds no rules here: the rule does not exist (404), which lets a client that
 * probes for a rule before changing it carry on, as it does with a server that has the kind.
 */
function readRule(rules: PushRules, kind: string, ruleId: string): PushRule {
  if (!isRuleKind(kind)) throw Errors.notFound('The push rule was not found.');
  return findRule(rules, kind, ruleId);
}

/** Runs a ruleset edit, answering a refused one with its Matrix error. */
async function refusing<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof PushRuleError) throw new MatrixError(e.status, e.errcode, e.message);
    throw e;
  }
}

/** client-server-api "Push Rules: API": the only ruleset is `global`. */
@Controller('_matrix/client/v3')
export class PushRulesController {
  constructor(private readonly store: PushRulesStore) {}

  @Get('pushrules/')
  all(@Auth() r: Requester) {
    return this.store.rules(r.userId);
  }

  @Get('pushrules/global/')
  async global(@Auth() r: Requester) {
    return (await this.store.rules(r.userId)).global;
  }

  @Get('pushrules/global/:kind/:ruleId')
  async rule(@Auth() r: Requester, @Param('kind') kind: string, @Param('ruleId') ruleId: string) {
    const rules = await this.store.rules(r.userId);
    return refusing(() => readRule(rules, kind, ruleId));
  }

  @Put('pushrules/global/:kind/:ruleId')
  async put(
    @Auth() r: Requester,
    @Param('kind') kind: string,
    @Param('ruleId') ruleId: string,
    @Query('before') before: string | undefined,
    @Query('after') after: string | undefined,
    @Body() raw: unknown,
  ) {
    const k = kindOf(kind);
    const body = requireJsonObject(raw);
    await refusing(() => this.store.edit(r.userId, (rules) => putRule(rules, k, ruleId, body, { before, after })));
    return {};
  }

  @Delete('pushrules/global/:kind/:ruleId')
  async delete(@Auth() r: Requester, @Param('kind') kind: string, @Param('ruleId') ruleId: string) {
    const k = kindOf(kind);
    await refusing(() => this.store.edit(r.userId, (rules) => deleteRule(rules, k, ruleId)));
    return {};
  }

  @Get('pushrules/global/:kind/:ruleId/enabled')
  async enabled(@Auth() r: Requester, @Param('kind') kind: string, @Param('ruleId') ruleId: string) {
    const rules = await this.store.rules(r.userId);
    return { enabled: (await refusing(() => readRule(rules, kind, ruleId))).enabled };
  }

  @Put('pushrules/global/:kind/:ruleId/enabled')
  async setEnabled(
    @Auth() r: Requester,
    @Param('kind') kind: string,
    @Param('ruleId') ruleId: string,
    @Body() raw: unknown,
  ) {
    const k = kindOf(kind);
    const body = requireJsonObject(raw);
    await refusing(() => this.store.edit(r.userId, (rules) => setRuleEnabled(rules, k, ruleId, body.enabled)));
    return {};
  }

  @Get('pushrules/global/:kind/:ruleId/actions')
  async actions(@Auth() r: Requester, @Param('kind') kind: string, @Param('ruleId') ruleId: string) {
    const rules = await this.store.rules(r.userId);
    return { actions: (await refusing(() => readRule(rules, kind, ruleId))).actions };
  }

  @Put('pushrules/global/:kind/:ruleId/actions')
  async setActions(
    @Auth() r: Requester,
    @Param('kind') kind: string,
    @Param('ruleId') ruleId: string,
    @Body() raw: unknown,
  ) {
    const k = kindOf(kind);
    const body = requireJsonObject(raw);
    await refusing(() => this.store.edit(r.userId, (rules) => setRuleActions(rules, k, ruleId, body.actions)));
    return {};
  }
}
