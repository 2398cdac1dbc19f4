import { Arg, Directive, ID, Int, Query, Resolver } from 'type-graphql';
import { badUserInput } from '../shared/app-error';
import { SessionEvent } from './session-event.type';
import { SESSION_EVENT_RETENTION } from './session.model';
import type { SessionService } from './session.service';

const MAX_LIMIT = SESSION_EVENT_RETENTION.maxEventsPerUser;

/** The arguments every audit-trail query takes (userSessionEvents, userAccountEvents). */
export const AUDIT_TRAIL_ARGUMENT_DESCRIPTIONS = {
  userId: 'The user whose trail to read.',
  limit: 'How many of the newest events.',
} as const;

@Resolver(() => SessionEvent)
export class SessionEventResolver {
  constructor(private readonly sessions: SessionService) {}

  @Query(() => [SessionEvent], {
    description: `A user's recent session events (why and by whom each session ended), newest first: at most \`limit\` (1 to ${MAX_LIMIT}), kept for ${SESSION_EVENT_RETENTION.retentionSeconds / 86_400} days. Empty for unknown ids.`,
  })
  @Directive('@auth(requires: ADMIN)')
  async userSessionEvents(
    @Arg('userId', () => ID, { description: AUDIT_TRAIL_ARGUMENT_DESCRIPTIONS.userId }) userId: string,
    @Arg('limit', () => Int, { defaultValue: 50, description: AUDIT_TRAIL_ARGUMENT_DESCRIPTIONS.limit }) limit: number,
  ): Promise<SessionEvent[]> {
    if (limit < 1 || limit > MAX_LIMIT) throw badUserInput(`limit must be from 1 to ${MAX_LIMIT}.`, 'limit');
    const events = await this.sessions.listSessionEvents(userId, limit);
    return events.map((event) => SessionEvent.from(event));
  }
}
