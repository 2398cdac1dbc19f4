import type { Logger } from 'pino';
import type { MailTemplates, Mailer } from '../mail';
import { formatDuration, MAIL_LINK_PATHS } from '../mail/mail.templates';
import type { Clock } from '../shared/clock';
import { newId } from '../shared/ids';
import { hashTokenSecret, newTokenSecret, signToken, verifyToken } from '../shared/signed-token';
import type { EmailTokenStore } from '../storage/email-token-store';
import type { UserRecord } from '../user/user.model';
import { EMAIL_TOKEN_KINDS, type EmailTokenKind, type EmailTokenRecord } from './email-token.model';

/** Which mail carries each kind of token. */
const MAIL_OF: Record<EmailTokenKind, 'passwordReset' | 'emailVerification' | 'emailChangeConfirm'> = {
  password_reset: 'passwordReset',
  email_verification: 'emailVerification',
  email_change: 'emailChangeConfirm',
};

/** The schema's description of an argument that takes the token from a mailed link of `kind`. */
export function linkTokenDescription(kind: EmailTokenKind): string {
  const path = MAIL_LINK_PATHS[MAIL_OF[kind]];
  return `The \`token\` parameter of the mailed link (APP_ORIGIN${path}?token=…); it works once, within ${formatDuration(EMAIL_TOKEN_KINDS[kind].lifetimeSeconds)}.`;
}

/**
 * Mailed single-use tokens, from issue to use: a token is `<kind>.<userId>.<tokenId>.<secret>.<mac>`
 * (shared/signed-token.ts; 256 random bits, signed with SESSION_SECRETS), stored only as the
 * hash of its secret, and good once, until it expires or a newer one of its kind replaces it.
 */
export class EmailTokens {
  constructor(
    private readonly deps: { store: EmailTokenStore; secrets: readonly string[]; mailer: Mailer; templates: MailTemplates; clock: Clock; logger: Logger },
  ) {}

  /** Issues a token of `kind` for `user` (invalidating its older one) and mails its link to `email`. */
  async issueAndMail(kind: EmailTokenKind, user: UserRecord, email: string): Promise<void> {
    const secret = newTokenSecret();
    const { lifetimeSeconds, tokenKind } = EMAIL_TOKEN_KINDS[kind];
    const record: EmailTokenRecord = {
      kind,
      userId: user.id,
      id: newId(),
      secretHash: hashTokenSecret(secret),
      expiresAt: new Date(this.deps.clock.now().getTime() + lifetimeSeconds * 1000),
      email,
    };
    await this.deps.store.issueToken(record);
    const token = signToken(tokenKind, { userId: user.id, id: record.id, secret }, this.deps.secrets[0]!);
    this.deps.mailer.send(this.deps.templates[MAIL_OF[kind]]({ to: email, displayName: user.displayName, token, expiresInSeconds: lifetimeSeconds }));
    this.deps.logger.info({ userId: user.id, tokenId: record.id, kind }, 'mailed token issued');
  }

  /**
   * The token's record when the text is a valid token of `kind` that was not used, replaced
   * or expired; it is used up by this call. Null otherwise (never an exception).
   */
  async consume(kind: EmailTokenKind, text: string): Promise<EmailTokenRecord | null> {
    const parts = verifyToken(EMAIL_TOKEN_KINDS[kind].tokenKind, text.trim(), this.deps.secrets);
    if (!parts) return null;
    return this.deps.store.consumeToken(kind, parts.userId, parts.id, hashTokenSecret(parts.secret));
  }

  /** The user a token of `kind` names, by its signature alone (not whether it is still good). */
  userIdOf(kind: EmailTokenKind, text: string): string | null {
    return verifyToken(EMAIL_TOKEN_KINDS[kind].tokenKind, text.trim(), this.deps.secrets)?.userId ?? null;
  }
}
