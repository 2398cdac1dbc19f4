import { Arg, Ctx, Directive, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import type { SessionService } from '../session/session.service';
import { Session } from '../session/session.type';
import type { UserRecord } from './user.model';
import type { UserService } from './user.service';
import { User } from './user.type';

@Resolver(() => User)
export class UserResolver {
  constructor(
    private readonly users: UserService,
    private readonly sessionService: SessionService,
  ) {}

  @Query(() => User, { nullable: true, description: 'The signed-in user; null when anonymous (never an error).' })
  @Directive('@public')
  async me(@Ctx() { caller }: GraphQLContext): Promise<User | null> {
    return (await caller.viewer())?.user ?? null;
  }

  @Query(() => User, { nullable: true, description: 'Any user, by id; null when there is none.' })
  @Directive('@auth(requires: ADMIN)')
  async user(@Arg('id', () => ID, { description: 'The user\'s id (User.id).' }) id: string): Promise<User | null> {
    return this.users.findUser(id);
  }

  @FieldResolver(() => Boolean, { description: 'True when signing in needs a second factor (TOTP) after the password. Readable only by the user themself or an ADMIN.' })
  @Directive('@auth(requires: ADMIN, self: true, beforeSecondFactor: true)')
  twoFactorEnabled(@Root() user: UserRecord): boolean {
    return user.secondFactor !== null;
  }

  @FieldResolver(() => [Session], { description: "The user's live sessions, newest first." })
  @Directive('@auth(requires: ADMIN, self: true)')
  async sessions(@Root() user: User, @Ctx() { caller }: GraphQLContext): Promise<Session[]> {
    const viewer = await caller.viewer();
    const sessions = await this.sessionService.listSessions(user.id, caller);
    return sessions.map((session) => Session.from(session, viewer?.session.id));
  }
}
