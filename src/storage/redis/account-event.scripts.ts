import { ACCOUNT_EVENT_RETENTION, type AccountEvent } from '../../account/account-event.model';
import { encodeAccountEventMember } from './records';
import type { LuaScript } from './script-runner';

/**
 * The account audit trail (keyspace.accountEvents): a sorted set of members (records.ts)
 * scored by the event's time. `record_account_events(events, first)` reads
 * accountEventArguments from ARGV[first] on: it adds the events, if any, trims the trail to
 * the retention window and length, and lets the key expire with its newest event. A script
 * that changes the account calls it in the same step, so an event is recorded exactly when
 * its change is.
 */
export const ACCOUNT_EVENTS = `
local function record_account_events(events, first)
  if #ARGV < first + 3 then return end
  for i = first + 3, #ARGV, 2 do
    redis.call('ZADD', events, ARGV[i + 1], ARGV[i])
  end
  redis.call('ZREMRANGEBYSCORE', events, '-inf', '(' .. ARGV[first])
  redis.call('ZREMRANGEBYRANK', events, 0, -(tonumber(ARGV[first + 2]) + 1))
  redis.call('PEXPIREAT', events, ARGV[first + 1])
end
`;

/** The trail's retention (cutoff, expiry of the key, how many to keep), then each event's member and time, in order. */
export function accountEventArguments(events: readonly AccountEvent[], nowMillis: number): Array<string | number> {
  const retentionMillis = ACCOUNT_EVENT_RETENTION.retentionSeconds * 1000;
  return [
    nowMillis - retentionMillis,
    nowMillis + retentionMillis,
    ACCOUNT_EVENT_RETENTION.maxEventsPerUser,
    ...events.flatMap((event) => [encodeAccountEventMember(event), event.at.getTime()]),
  ];
}

/** KEYS: the user's account events. ARGV: accountEventArguments. */
export const RECORD_ACCOUNT_EVENTS: LuaScript = {
  name: 'sessionqlRecordAccountEvents',
  numberOfKeys: 1,
  lua: `${ACCOUNT_EVENTS}
record_account_events(KEYS[1], 1)
return 1
`,
};
