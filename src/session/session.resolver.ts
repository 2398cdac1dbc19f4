import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import type { UserService } from '../user/user.service';
import { User } from '../user/user.type';
import type { SessionService } from './session.service';
import { Session } from './session.type';

@Resolver(() => Session)
export class SessionResolver {
  constructor(
    private readonly sessions: SessionService,
    private readonly users: UserService,
  ) {}

  @Query(() => [Session], { description: 'My live sessions, newest first.' })
  @Directive('@auth')
  async mySessions(@Ctx() { caller }: GraphQLContext): Promise<Session[]> {
    const viewer = await caller.signedInViewer();
    const sessions = await this.sessions.listSessions(viewer.user.id, caller);
    return sessions.map((session) => Session.from(session, viewer.session.id));
  }

  @Mutation(() => Boolean, { description: 'Ends one of my sessions; false for ids that are not mine.' })
  @Directive('@auth')
  async revokeSession(@Arg('id', () => ID, { description: 'The `id` of one of my sessions (Session.id).' }) id: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.sessions.revokeSession(caller, id);
  }

  @Mutation(() => Int, { description: 'Ends all my sessions but this one; returns how many ended.' })
  @Directive('@auth')
  async revokeOtherSessions(@Ctx() { caller }: GraphQLContext): Promise<number> {
    return this.sessions.revokeOtherSessions(caller);
  }

  @Mutation(() => Int, { description: "Ends all of a user's sessions; returns how many ended." })
  @Directive('@auth(requires: ADMIN)')
  async revokeUserSessions(@Arg('userId', () => ID, { description: 'The user whose sessions to end.' }) userId: string, @Ctx() { caller }: GraphQLContext): Promise<number> {
    return this.sessions.revokeUserSessions(caller, userId);
  }

  @FieldResolver(() => User, { description: 'The user the session belongs to.' })
  async user(@Root() session: Session, @Ctx() { caller }: GraphQLContext): Promise<User> {
    const viewer = await caller.viewer();
    if (session.userId === viewer?.user.id) return viewer.user;
    const user = await this.users.findUser(session.userId);
    if (!user) throw new Error(`session ${session.id} belongs to a missing user`);
    return user;
  }
}
