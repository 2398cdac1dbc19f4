import { Arg, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import type { SignedIn } from '../session/caller';
import { SessionTransport } from '../session/session.model';
import type { SessionService } from '../session/session.service';
import { Session } from '../session/session.type';
import { AuthPayload } from './auth-payload.type';
import { ChangePasswordInput, LoginInput, SignUpInput, StepUpInput } from './auth.inputs';
import type { AuthService } from './auth.service';

@Resolver()
export class AuthResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
  ) {}

  @Mutation(() => AuthPayload, { description: 'Creates an account and signs in with a new session.' })
  @Directive('@public')
  async signUp(@Arg('input', { description: 'The account to create.' }) input: SignUpInput, @Ctx() { caller }: GraphQLContext): Promise<AuthPayload> {
    return payload(await this.auth.signUp({ ...input, transport: input.transport ?? SessionTransport.COOKIE }, caller));
  }

  @Mutation(() => AuthPayload, { description: 'Signs in with a new session; a session presented with the request is ended.' })
  @Directive('@public')
  async login(@Arg('input', { description: 'The credentials to check.' }) input: LoginInput, @Ctx() { caller }: GraphQLContext): Promise<AuthPayload> {
    return payload(await this.auth.login({ ...input, transport: input.transport ?? SessionTransport.COOKIE }, caller));
  }

  @Mutation(() => Boolean, { description: 'Ends this session: true if one ended, false if there was none.' })
  @Directive('@public')
  async logout(@Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.sessions.logout(caller);
  }

  @Mutation(() => Session, {
    description:
      'Presents credentials again on this session (the password, a second-factor code, or both): authenticatedAt moves to now, a code raises the session to aal 2, and a cookie session gets a new token. Answers STEP_UP_REQUIRED errors.',
  })
  @Directive('@auth')
  async stepUp(@Arg('input', { description: 'The password, a code, or both.' }) input: StepUpInput, @Ctx() { caller }: GraphQLContext): Promise<Session> {
    const session = await this.auth.stepUp(input, caller);
    return Session.from(session, session.id);
  }

  @Mutation(() => Boolean, { description: 'Verifies the current password, sets the new one and ends every other session.' })
  @Directive('@auth(fresh: true)')
  async changePassword(@Arg('input', { description: 'The current and the new password.' }) input: ChangePasswordInput, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    await this.auth.changePassword(input, caller);
    return true;
  }
}

function payload({ user, session, token, device }: SignedIn): AuthPayload {
  return AuthPayload.from({ user, session, token, deviceToken: device?.token ?? null });
}
