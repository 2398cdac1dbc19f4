import { Field, InputType } from 'type-graphql';

@InputType({ description: 'A new password, set from the link of a password-reset mail.' })
export class ResetPasswordInput {
  @Field({ description: 'The `token` parameter of the link (APP_ORIGIN/reset-password?token=…).' })
  token!: string;

  @Field({ description: 'At least 10 characters, at most 128 bytes, not the email.' })
  newPassword!: string;
}

@InputType({ description: 'A change of the account\'s address, confirmed from a link mailed to the new one.' })
export class RequestEmailChangeInput {
  @Field({ description: 'The address to move to; it must not belong to another account.' })
  newEmail!: string;

  @Field({ description: 'The account\'s current password.' })
  currentPassword!: string;
}

@InputType({ description: 'What to change of the signed-in user\'s profile; a field left out stays as it is.' })
export class UpdateProfileInput {
  @Field(() => String, { nullable: true, description: '1 to 64 characters with something visible; no control or bidi characters.' })
  displayName?: string | null;
}
