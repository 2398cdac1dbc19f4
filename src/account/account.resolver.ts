import { Arg, Ctx, Directive, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { badUserInput } from '../shared/app-error';
import { ACCOUNT_EVENT_RETENTION } from './account-event.model';
import { AccountEvent } from './account-event.type';
import { User } from '../user/user.type';
import { RequestEmailChangeInput, ResetPasswordInput, UpdateProfileInput } from './account.inputs';
import type { AccountService } from './account.service';

@Resolver()
export class AccountResolver {
  constructor(private readonly account: AccountService) {}

  @Query(() => [AccountEvent], {
    description: `A user's account audit trail (second-factor events), newest first: at most \`limit\` (1 to ${ACCOUNT_EVENT_RETENTION.maxEventsPerUser}), kept for ${ACCOUNT_EVENT_RETENTION.retentionSeconds / 86_400} days. Empty for unknown ids.`,
  })
  @Directive('@auth(requires: ADMIN)')
  async userAccountEvents(
    @Arg('userId', () => ID, { description: 'The user whose trail to read.' }) userId: string,
    @Arg('limit', () => Int, { defaultValue: 50, description: 'How many of the newest events.' }) limit: number,
  ): Promise<AccountEvent[]> {
    if (limit < 1 || limit > ACCOUNT_EVENT_RETENTION.maxEventsPerUser) {
      throw badUserInput(`limit must be from 1 to ${ACCOUNT_EVENT_RETENTION.maxEventsPerUser}.`, 'limit');
    }
    const events = await this.account.listAccountEvents(userId, limit);
    return events.map((event) => AccountEvent.from(event));
  }

  @Mutation(() => Boolean, { description: 'Mails a password-reset link if an account has this address. Always true, in about the same time either way.' })
  @Directive('@public')
  async requestPasswordReset(@Arg('email') email: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.requestPasswordReset(email, caller);
  }

  @Mutation(() => Boolean, { description: 'Sets a new password from a reset link (once) and ends every session of the account.' })
  @Directive('@public')
  async resetPassword(@Arg('input') input: ResetPasswordInput, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.resetPassword(input, caller);
  }

  @Mutation(() => Boolean, { description: 'Mails me a new email-verification link.' })
  @Directive('@auth')
  async requestEmailVerification(@Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.requestEmailVerification(caller);
  }

  @Mutation(() => Boolean, { description: 'Marks the address a verification link was mailed to as verified (once).' })
  @Directive('@public')
  async verifyEmail(@Arg('token') token: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.verifyEmail(token, caller);
  }

  @Mutation(() => Boolean, { description: 'Mails a confirmation link to a new address (and a notice to the current one); nothing changes until it is used.' })
  @Directive('@auth(fresh: true)')
  async requestEmailChange(@Arg('input') input: RequestEmailChangeInput, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.requestEmailChange(input, caller);
  }

  @Mutation(() => Boolean, { description: 'Moves the account to the address a confirmation link was mailed to (once); every session stays.' })
  @Directive('@public')
  async confirmEmailChange(@Arg('token') token: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.confirmEmailChange(token, caller);
  }

  @Mutation(() => User, { description: 'Changes my profile (the display name).' })
  @Directive('@auth')
  async updateProfile(@Arg('input') input: UpdateProfileInput, @Ctx() { caller }: GraphQLContext): Promise<User> {
    return this.account.updateProfile(input, caller);
  }

  @Mutation(() => Boolean, { description: 'Ends every session and erases my account: its address can sign up again.' })
  @Directive('@auth(fresh: true)')
  async deleteAccount(@Arg('currentPassword') currentPassword: string, @Ctx() { caller }: GraphQLContext): Promise<boolean> {
    return this.account.deleteAccount(currentPassword, caller);
  }
}
