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
  async mySessions(@Ctx() { viewer }: GraphQLContext): Promise<Session[]> {
    const sessions = await this.sessions.listSessions(viewer!.user.id);
    return sessions.map((session) => Session.from(session, viewer!.session.id));
  }

  @Mutation(() => Boolean, { description: 'Ends one of my sessions; false for ids that are not mine.' })
  @Directive('@auth')
  async revokeSession(@Arg('id', () => ID) id: string, @Ctx() { viewer, sessionCookie }: GraphQLContext): Promise<boolean> {
    const ended = await this.sessions.revokeSession(viewer!.user.id, id, 'revoked_by_user');
    if (ended && id === viewer!.session.id && sessionCookie.presentedVia === 'cookie') sessionCookie.clear();
    return ended;
  }

  @Mutation(() => Int, { description: 'Ends all my sessions but this one; returns how many ended.' })
  @Directive('@auth')
  async revokeOtherSessions(@Ctx() { viewer }: GraphQLContext): Promise<number> {
    return this.sessions.revokeUserSessions(viewer!.user.id, 'revoked_by_user', { exceptSessionId: viewer!.session.id });
  }

  @Mutation(() => Int, { description: "Ends all of a user's sessions; returns how many ended." })
  @Directive('@auth(requires: ADMIN)')
  async revokeUserSessions(
    @Arg('userId', () => ID) userId: string,
    @Ctx() { viewer, sessionCookie }: GraphQLContext,
  ): Promise<number> {
    const ended = await this.sessions.revokeUserSessions(userId, 'revoked_by_admin', { actorId: viewer!.user.id });
    if (userId === viewer!.user.id && sessionCookie.presentedVia === 'cookie') sessionCookie.clear();
    return ended;
  }

  @FieldResolver(() => User)
  async user(@Root() session: Session, @Ctx() { viewer }: GraphQLContext): Promise<User> {
    if (session.userId === viewer?.user.id) return viewer.user;
    const user = await this.users.findUser(session.userId);
    if (!user) throw new Error(`session ${session.id} belongs to a missing user`);
    return user;
  }
}
