import type { AccountEvent } from '../account/account-event.model';

/**
 * Where each user's account audit trail lives (account/account-event.model.ts), bounded
 * by ACCOUNT_EVENT_RETENTION. It outlives the account, as the session events do: it holds
 * no personal data, only ids, kinds and times.
 */
export interface AccountEventStore {
  recordAccountEvent(userId: string, event: AccountEvent): Promise<void>;
  /** The user's events, newest first: at most `limit` (and at most the retention's count), none older than the retention. */
  listAccountEvents(userId: string, limit: number): Promise<AccountEvent[]>;
}
