import { ACCOUNT_EVENT_RETENTION, type AccountEvent } from '../../account/account-event.model';
import type { Clock } from '../../shared/clock';
import type { AccountEventStore } from '../account-event-store';
import { callStore } from './errors';
import type { RedisKeyspace } from './keyspace';
import { accountEventArguments, RECORD_ACCOUNT_EVENTS } from './account-event.scripts';
import { decodeAccountEvent } from './records';
import type { RedisClient } from './redis-client';
import { scriptRunner, type ScriptRunner } from './script-runner';

export class RedisAccountEventStore implements AccountEventStore {
  private readonly runScript: ScriptRunner;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeyspace,
    private readonly clock: Clock,
  ) {
    this.runScript = scriptRunner(redis, [RECORD_ACCOUNT_EVENTS]);
  }

  async recordAccountEvent(userId: string, event: AccountEvent): Promise<void> {
    const now = this.clock.now().getTime();
    await callStore(() => this.runScript(RECORD_ACCOUNT_EVENTS, [this.keys.accountEvents(userId)], accountEventArguments([event], now)));
  }

  async listAccountEvents(userId: string, limit: number): Promise<AccountEvent[]> {
    const count = Math.max(0, Math.min(limit, ACCOUNT_EVENT_RETENTION.maxEventsPerUser));
    if (count === 0) return [];
    const cutoff = this.clock.now().getTime() - ACCOUNT_EVENT_RETENTION.retentionSeconds * 1000;
    const flat = await callStore(() => this.redis.zrange(this.keys.accountEvents(userId), '+inf', cutoff, 'BYSCORE', 'REV', 'LIMIT', 0, count, 'WITHSCORES'));
    const events: AccountEvent[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const event = decodeAccountEvent(flat[i]!, flat[i + 1]!);
      if (event) events.push(event);
    }
    return events;
  }
}
