import { ACCOUNT_EVENT_RETENTION, type AccountEvent } from '../../account/account-event.model';
import type { AccountEventStore } from '../account-event-store';
import type { MemoryDatabase } from './memory-database';

export class MemoryAccountEventStore implements AccountEventStore {
  constructor(private readonly db: MemoryDatabase) {}

  async recordAccountEvent(userId: string, event: AccountEvent): Promise<void> {
    this.db.recordAccountEvent(userId, event);
  }

  async listAccountEvents(userId: string, limit: number): Promise<AccountEvent[]> {
    const count = Math.max(0, Math.min(limit, ACCOUNT_EVENT_RETENTION.maxEventsPerUser));
    const cutoff = this.db.clock.now().getTime() - ACCOUNT_EVENT_RETENTION.retentionSeconds * 1000;
    return (this.db.accountEventsByUser.get(userId) ?? [])
      .filter((event) => event.at.getTime() >= cutoff)
      .reverse()
      .slice(0, count)
      .map((event) => ({ ...event, at: new Date(event.at.getTime()) }));
  }
}
