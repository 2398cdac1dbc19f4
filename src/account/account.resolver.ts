import { Arg, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { User } from '../user/user.type';
import { RequestEmailChangeInput, ResetPasswordInput, UpdateProfileInput } from './account.inputs';
import type { AccountService } from './account.service';

@Resolver()
export class AccountResolver {
  constructor(private readonly account: AccountService) {}

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
