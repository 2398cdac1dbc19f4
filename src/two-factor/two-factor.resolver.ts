import { Arg, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import { AuthPayload } from '../auth/auth-payload.type';
import type { GraphQLContext } from '../graphql/context';
import { TotpEnrollment } from './totp-enrollment.type';
import type { TwoFactorService } from './two-factor.service';

@Resolver()
export class TwoFactorResolver {
  constructor(private readonly twoFactor: TwoFactorService) {}

  @Mutation(() => TotpEnrollment, {
    description: 'Starts turning on TOTP two-factor: a new secret to scan or type into an authenticator app. Nothing is on until confirmTotpEnrollment.',
  })
  @Directive('@auth(fresh: true)')
  async beginTotpEnrollment(@Ctx() { caller }: GraphQLContext): Promise<TotpEnrollment> {
    return Object.assign(new TotpEnrollment(), await this.twoFactor.beginEnrollment(caller));
  }

  @Mutation(() => [String], {
    description:
      'Turns TOTP two-factor on with a first code from the new secret. Returns 10 single-use recovery codes, shown this once; this session reaches aal 2. Mails a notice.',
  })
  @Directive('@auth(fresh: true)')
  async confirmTotpEnrollment(@Arg('code', { description: 'A current 6-digit code from the authenticator app.' }) code: string, @Ctx() { caller }: GraphQLContext): Promise<string[]> {
    return this.twoFactor.confirmEnrollment(caller, code);
  }

  @Mutation(() => [String], { description: '10 new recovery codes, shown this once; the unused old ones stop working. Mails a notice.' })
  @Directive('@auth(aal: 2, fresh: true)')
  async regenerateRecoveryCodes(@Ctx() { caller }: GraphQLContext): Promise<string[]> {
    return this.twoFactor.regenerateRecoveryCodes(caller);
  }

  @Mutation(() => Boolean, {
    description: 'Turns TOTP two-factor off; sessions still waiting for a second factor end. Mails a notice.',
  })
  @Directive('@auth(aal: 2, fresh: true)')
  async disableTotp(@Arg('code', { description: 'A current TOTP code or an unused recovery code (used up).' }) code: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    await this.twoFactor.disable(caller, code);
    return true;
  }

  @Mutation(() => AuthPayload, {
    description:
      'Completes a sign-in that waits for a second factor (or strengthens this session): a TOTP code (accepted once) or an unused recovery code (used up). The session reaches aal 2 and gets a new token: a new cookie, or `token` in the payload for HEADER sessions. Throttled per session and per user (RATE_LIMITED).',
  })
  @Directive('@auth(beforeSecondFactor: true)')
  async verifySecondFactor(@Arg('code', { description: 'A current 6-digit TOTP code, or a recovery code.' }) code: string, @Ctx() { caller }: GraphQLContext): Promise<AuthPayload> {
    const { user, session, token, deviceToken } = await this.twoFactor.verify(caller, code);
    return AuthPayload.from({ user, session, token, deviceToken });
  }
}
