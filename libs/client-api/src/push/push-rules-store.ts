import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import { effectiveRules, type PushRules } from '@lattice/push-rules';
import { AccountDataStore } from '@lattice/streams';

/**
 * A user's push rules live in their m.push_rules account data, written whole
 * (client-server-api "Push Rules: Events": its content is the user's current
 * rules), so /sync carries every change and the push service reads them
 * where it reads everything else of the user's.
 */
@Injectable()
export class PushRulesStore {
  /** Edits of one user in this process run one after another, so two quick edits do not overwrite each other. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly accountData: AccountDataStore,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  async rules(userId: string): Promise<PushRules> {
    return effectiveRules(await this.accountData.get(userId, '', 'm.push_rules'), userId);
  }

  /** Applies an edit to the current rules and stores the result; the edit throws to refuse. */
  edit(userId: string, change: (rules: PushRules) => PushRules): Promise<void> {
    // A failed previous edit was answered to its own request; this one starts after it either way.
    const run = (this.tails.get(userId) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const updated = change(await this.rules(userId));
        const position = await this.accountData.put(
          userId,
          '',
          'm.push_rules',
          updated as unknown as Record<string, unknown>,
        );
        await this.bus.publish('output.streams', {
          stream: 'accountData',
          position: position.toString(),
          userIds: [userId],
        });
      });
    this.tails.set(userId, run);
    const forget = () => {
      if (this.tails.get(userId) === run) this.tails.delete(userId);
    };
    run.then(forget, forget);
    return run;
  }
}
