import { ACCOUNT_EVENT_RETENTION, type AccountEvent } from '../../account/account-event.model';
import type { Clock } from '../../shared/clock';
import type { AccountEventStore } from '../account-event-store';
import { callStore } from './errors';
import type { RedisKeyspace } from './keyspace';
import { decodeAccountEvent, encodeAccountEventMember } from './records';
import type { RedisClient } from './redis-client';
import { scriptRunner, type LuaScript, type ScriptRunner } from './script-runner';

/**
 * KEYS: the user's account events. ARGV: member, its time (ms), the retention cutoff (ms),
 * when the key expires (ms), how many to keep. Adds the event and trims the trail in one step.
 */
const RECORD_ACCOUNT_EVENT: LuaScript = {
  name: 'sessionqlRecordAccountEvent',
  numberOfKeys: 1,
  lua: `
local events = KEYS[1]
redis.call('ZADD', events, ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', events, '-inf', '(' .. ARGV[3])
redis.call('ZREMRANGEBYRANK', events, 0, -(tonumber(ARGV[5]) + 1))
redis.call('PEXPIREAT', events, ARGV[4])
return 1
`,
};

export class RedisAccountEventStore implements AccountEventStore {
  private readonly runScript: ScriptRunner;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeyspace,
    private readonly clock: Clock,
  ) {
    this.runScript = scriptRunner(redis, [RECORD_ACCOUNT_EVENT]);
  }

  async recordAccountEvent(userId: string, event: AccountEvent): Promise<void> {
    const now = this.clock.now().getTime();
    const retentionMillis = ACCOUNT_EVENT_RETENTION.retentionSeconds * 1000;
    await callStore(() =>
      this.runScript(
        RECORD_ACCOUNT_EVENT,
        [this.keys.accountEvents(userId)],
        [encodeAccountEventMember(event), event.at.getTime(), now - retentionMillis, now + retentionMillis, ACCOUNT_EVENT_RETENTION.maxEventsPerUser],
      ),
    );
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
