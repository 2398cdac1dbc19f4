import { Arg, Ctx, Directive, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { CREDENTIAL_DESCRIPTIONS } from '../auth/credentials-policy';
import { AUDIT_TRAIL_ARGUMENT_DESCRIPTIONS } from '../session/session-event.resolver';
import { badUserInput } from '../shared/app-error';
import { ACCOUNT_EVENT_RETENTION } from './account-event.model';
import { AccountEvent } from './account-event.type';
import { User } from '../user/user.type';
import { RequestEmailChangeInput, ResetPasswordInput, UpdateProfileInput } from './account.inputs';
import type { AccountService } from './account.service';
import { linkTokenDescription } from './email-tokens';

@Resolver()
export class AccountResolver {
  constructor(private readonly account: AccountService) {}

  @Query(() => [AccountEvent], {
    description: `A user's account audit trail (second-factor events), newest first: at most \`limit\` (1 to ${ACCOUNT_EVENT_RETENTION.maxEventsPerUser}), kept for ${ACCOUNT_EVENT_RETENTION.retentionSeconds / 86_400} days. Empty for unknown ids.`,
  })
  @Directive('@auth(requires: ADMIN)')
  async userAccountEvents(
    @Arg('userId', () => ID, { description: AUDIT_TRAIL_ARGUMENT_DESCRIPTIONS.userId }) userId: string,
    @Arg('limit', () => Int, { defaultValue: 50, description: AUDIT_TRAIL_ARGUMENT_DESCRIPTIONS.limit }) limit: number,
  ): Promise<AccountEvent[]> {
    if (limit < 1 || limit > ACCOUNT_EVENT_RETENTION.maxEventsPerUser) {
      throw badUserInput(`limit must be from 1 to ${ACCOUNT_EVENT_RETENTION.maxEventsPerUser}.`, 'limit');
    }
    const events = await this.account.listAccountEvents(userId, limit);
    return events.map((event) => AccountEvent.from(event));
  }

  @Mutation(() => Boolean, { description: 'Mails a password-reset link if an account has this address. Always true, in about the same time either way.' })
  @Directive('@public')
  async requestPasswordReset(@Arg('email', { description: CREDENTIAL_DESCRIPTIONS.accountEmail }) email: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.requestPasswordReset(email, caller);
  }

  @Mutation(() => Boolean, { description: 'Sets a new password from a reset link (once) and ends every session of the account.' })
  @Directive('@public')
  async resetPassword(@Arg('input', { description: 'The token of the reset link and the new password.' }) input: ResetPasswordInput, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.resetPassword(input, caller);
  }

  @Mutation(() => Boolean, { description: 'Mails me a new email-verification link.' })
  @Directive('@auth')
  async requestEmailVerification(@Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.requestEmailVerification(caller);
  }

  @Mutation(() => Boolean, { description: 'Marks the address a verification link was mailed to as verified (once).' })
  @Directive('@public')
  async verifyEmail(@Arg('token', { description: linkTokenDescription('email_verification') }) token: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.verifyEmail(token, caller);
  }

  @Mutation(() => Boolean, { description: 'Mails a confirmation link to a new address (and a notice to the current one); nothing changes until it is used.' })
  @Directive('@auth(fresh: true)')
  async requestEmailChange(@Arg('input', { description: 'The new address and the current password.' }) input: RequestEmailChangeInput, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.requestEmailChange(input, caller);
  }

  @Mutation(() => Boolean, { description: 'Moves the account to the address a confirmation link was mailed to (once); every session stays.' })
  @Directive('@public')
  async confirmEmailChange(@Arg('token', { description: linkTokenDescription('email_change') }) token: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.confirmEmailChange(token, caller);
  }

  @Mutation(() => User, { description: 'Changes my profile (the display name).' })
  @Directive('@auth')
  async updateProfile(@Arg('input', { description: 'The fields to change.' }) input: UpdateProfileInput, @Ctx() { caller }: GraphQLContext): Promise<User> {
    return this.account.updateProfile(input, caller);
  }

  @Mutation(() => Boolean, { description: 'Ends every session and erases my account: its address can sign up again.' })
  @Directive('@auth(fresh: true)')
  async deleteAccount(@Arg('currentPassword', { description: CREDENTIAL_DESCRIPTIONS.accountPassword }) currentPassword: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.deleteAccount(currentPassword, caller);
  }
}
