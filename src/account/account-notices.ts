import type { MailTemplates, Mailer } from '../mail';
import type { Clock } from '../shared/clock';
import type { UserRecord } from '../user/user.model';

/**
 * The mails that tell a user something happened to their account ("if this wasn't you…").
 * Sending is queued: a notice never delays or fails the operation it reports.
 */
export class AccountNotices {
  constructor(private readonly deps: { mailer: Mailer; templates: MailTemplates; clock: Clock }) {}

  passwordChanged(user: UserRecord, via: 'change' | 'reset'): void {
    this.deps.mailer.send(this.deps.templates.passwordChanged({ ...this.recipient(user), via }));
  }

  /** To the address being left: someone asked to move the account to `newEmail`. */
  emailChangeRequested(user: UserRecord, newEmail: string): void {
    this.deps.mailer.send(this.deps.templates.emailChangeNotice({ ...this.recipient(user), newEmail }));
  }

  accountDeleted(user: UserRecord): void {
    this.deps.mailer.send(this.deps.templates.accountDeleted(this.recipient(user)));
  }

  twoFactorEnabled(user: UserRecord): void {
    this.deps.mailer.send(this.deps.templates.twoFactorEnabled(this.recipient(user)));
  }

  twoFactorDisabled(user: UserRecord): void {
    this.deps.mailer.send(this.deps.templates.twoFactorDisabled(this.recipient(user)));
  }

  recoveryCodesRegenerated(user: UserRecord): void {
    this.deps.mailer.send(this.deps.templates.recoveryCodesRegenerated(this.recipient(user)));
  }

  private recipient(user: UserRecord) {
    return { to: user.email, displayName: user.displayName, occurredAt: this.deps.clock.now() };
  }
}
