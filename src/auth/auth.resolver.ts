import { Arg, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { SessionTransport } from '../session/session.store';
import { Session } from '../session/session.type';
import { AuthPayload } from './auth-payload.type';
import { ChangePasswordInput, LoginInput, SignUpInput } from './auth.inputs';
import type { AuthService, SignedIn } from './auth.service';

@Resolver()
export class AuthResolver {
  constructor(private readonly auth: AuthService) {}

  @Mutation(() => AuthPayload, { description: 'Creates an account and signs in with a new session.' })
  @Directive('@public')
  async signUp(@Arg('input') input: SignUpInput, @Ctx() context: GraphQLContext): Promise<AuthPayload> {
    const transport = input.transport ?? SessionTransport.COOKIE;
    const signedIn = await this.auth.signUp({ ...input, transport }, context.client, context.viewer);
    return deliver(signedIn, context);
  }

  @Mutation(() => AuthPayload, { description: 'Signs in with a new session; a session presented with the request is ended.' })
  @Directive('@public')
  async login(@Arg('input') input: LoginInput, @Ctx() context: GraphQLContext): Promise<AuthPayload> {
    const transport = input.transport ?? SessionTransport.COOKIE;
    const signedIn = await this.auth.login({ ...input, transport }, context.client, context.viewer);
    return deliver(signedIn, context);
  }

  @Mutation(() => Boolean, { description: 'Ends this session: true if one ended, false if there was none.' })
  @Directive('@public')
  async logout(@Ctx() context: GraphQLContext): Promise<boolean> {
    const ended = await this.auth.logout(context.viewer);
    context.viewer = null;
    if (context.sessionCookie.presentedVia === 'cookie') context.sessionCookie.clear({ clearSiteData: ended });
    return ended;
  }

  @Mutation(() => Boolean, { description: 'Verifies the current password, sets the new one and ends every other session.' })
  @Directive('@auth')
  async changePassword(@Arg('input') input: ChangePasswordInput, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.auth.changePassword(context.viewer!, context.client, input.currentPassword, input.newPassword);
    return true;
  }
}

/** The token goes into an HttpOnly cookie or, for HEADER clients, into the body once. */
function deliver(signedIn: SignedIn, context: GraphQLContext): AuthPayload {
  const { user, session, token } = signedIn;
  const viaCookie = session.transport === SessionTransport.COOKIE;
  if (viaCookie) context.sessionCookie.issue(token, session.absoluteExpiresAt);
  else if (context.sessionCookie.presentedVia === 'cookie') context.sessionCookie.clear();
  // The rest of this operation (e.g. `user { email }` in the payload) acts as the new session.
  context.viewer = { user, session };
  return { user, session: Session.from(session, session.id), token: viaCookie ? null : token };
}
