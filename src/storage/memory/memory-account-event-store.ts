import { ACCOUNT_EVENT_RETENTION, type AccountEvent } from '../../account/account-event.model';
import type { AccountEventStore } from '../account-event-store';
import type { MemoryDatabase } from './memory-database';

export class MemoryAccountEventStore implements AccountEventStore {
  constructor(private readonly db: MemoryDatabase) {}

  async recordAccountEvent(userId: string, event: AccountEvent): Promise<void> {
    const cutoff = this.db.clock.now().getTime() - ACCOUNT_EVENT_RETENTION.retentionSeconds * 1000;
    const events = [...(this.db.accountEventsByUser.get(userId) ?? []), { ...event, at: new Date(event.at.getTime()) }];
    // Stable: events of one millisecond stay in the order they were recorded.
    events.sort((a, b) => a.at.getTime() - b.at.getTime());
    this.db.accountEventsByUser.set(
      userId,
      events.filter((kept) => kept.at.getTime() >= cutoff).slice(-ACCOUNT_EVENT_RETENTION.maxEventsPerUser),
    );
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
