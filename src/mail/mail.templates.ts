import type { MailKind, MailMessage } from './mailer';

/** Who a mail goes to, and the name to greet them by (user input: sanitized and escaped here). */
export interface Recipient {
  to: string;
  displayName: string;
}

/** A mail carrying a single-use token, and how long the token lives (the mail says so). */
export interface TokenMailParams extends Recipient {
  token: string;
  expiresInSeconds: number;
}

/** A notice of something that happened to the account, and when. */
export interface NoticeParams extends Recipient {
  occurredAt: Date;
}

/** One builder per mail kind (the Record makes a kind without a template a type error); each returns a complete message, text and HTML. */
export interface MailTemplates extends Record<MailKind, (params: never) => MailMessage> {
  /** To the account's address: a link to APP_ORIGIN/reset-password?token=… */
  passwordReset(params: TokenMailParams): MailMessage;
  /** After changePassword (`via: 'change'`) or resetPassword (`via: 'reset'`). */
  passwordChanged(params: NoticeParams & { via: 'change' | 'reset' }): MailMessage;
  /** A link to APP_ORIGIN/verify-email?token=… */
  emailVerification(params: TokenMailParams): MailMessage;
  /** To the NEW address (`to`): a link to APP_ORIGIN/confirm-email-change?token=… */
  emailChangeConfirm(params: TokenMailParams): MailMessage;
  /** To the OLD address: someone asked to change it to `newEmail`. */
  emailChangeNotice(params: NoticeParams & { newEmail: string }): MailMessage;
  accountDeleted(params: NoticeParams): MailMessage;
  twoFactorEnabled(params: NoticeParams): MailMessage;
  twoFactorDisabled(params: NoticeParams): MailMessage;
  recoveryCodesRegenerated(params: NoticeParams): MailMessage;
}

/** The SPA routes the links open (the contract's "Running it" table). */
export const MAIL_LINK_PATHS = {
  passwordReset: '/reset-password',
  emailVerification: '/verify-email',
  emailChangeConfirm: '/confirm-email-change',
} as const;

/**
 * The mails, in code so that they are reviewed, typed and tested like the rest. Every
 * interpolated value is plain text: the HTML renderer escapes all of it, so no parameter
 * can add markup, and display names lose control and bidirectional-override characters
 * so that they cannot fake lines or reorder text.
 *
 * @param options.appOrigin APP_ORIGIN, an exact origin (config.mail.appOrigin): links point to it, and mails name its host as the site.
 */
export function createMailTemplates(options: { appOrigin: string }): MailTemplates {
  const origin = new URL(options.appOrigin).origin;
  const site = new URL(origin).host;
  const ifNotYou = `If this wasn't you, someone else has access to your account: reset your password right away from the sign-in page at ${site} (a reset signs out every session).`;

  function linkTo(kind: keyof typeof MAIL_LINK_PATHS, token: string): string {
    const url = new URL(MAIL_LINK_PATHS[kind], origin);
    url.searchParams.set('token', token);
    return url.toString();
  }

  const templates: MailTemplates = {
    passwordReset: ({ to, displayName, token, expiresInSeconds }) =>
      compose('passwordReset', to, 'Reset your password', {
        displayName,
        paragraphs: [`Someone, hopefully you, asked to reset the password of your account at ${site}.`],
        action: {
          label: 'Reset your password',
          link: linkTo('passwordReset', token),
          note: `The link works once and expires in ${formatDuration(expiresInSeconds)}.`,
        },
        closing: ['If you did not ask for this, ignore this mail: your password stays as it is.'],
        site,
      }),

    passwordChanged: ({ to, displayName, occurredAt, via }) =>
      compose('passwordChanged', to, via === 'reset' ? 'Your password was reset' : 'Your password was changed', {
        displayName,
        paragraphs:
          via === 'reset'
            ? [`The password of your account at ${site} was reset on ${formatTime(occurredAt)}, with a link sent to this address. Every session was signed out.`]
            : [`The password of your account at ${site} was changed on ${formatTime(occurredAt)}. Your other sessions were signed out.`],
        closing: [ifNotYou],
        site,
      }),

    emailVerification: ({ to, displayName, token, expiresInSeconds }) =>
      compose('emailVerification', to, 'Confirm your email address', {
        displayName,
        paragraphs: [`Please confirm that this address belongs to your account at ${site}.`],
        action: {
          label: 'Confirm your email address',
          link: linkTo('emailVerification', token),
          note: `The link works once and expires in ${formatDuration(expiresInSeconds)}.`,
        },
        closing: [`If you did not sign up at ${site}, ignore this mail.`],
        site,
      }),

    emailChangeConfirm: ({ to, displayName, token, expiresInSeconds }) =>
      compose('emailChangeConfirm', to, 'Confirm your new email address', {
        displayName,
        paragraphs: [
          `Someone asked to change the email address of an account at ${site} to this address, ${to}.`,
          'Until the change is confirmed, the account keeps its current address.',
        ],
        action: {
          label: 'Confirm the new address',
          link: linkTo('emailChangeConfirm', token),
          note: `The link works once and expires in ${formatDuration(expiresInSeconds)}.`,
        },
        closing: ['If you did not ask for this, ignore this mail: nothing changes.'],
        site,
      }),

    emailChangeNotice: ({ to, displayName, occurredAt, newEmail }) =>
      compose('emailChangeNotice', to, 'Your email address is being changed', {
        displayName,
        paragraphs: [
          `On ${formatTime(occurredAt)}, someone signed in to your account at ${site} asked to change its email address to ${newEmail}.`,
          'The change takes effect only once it is confirmed from that address. Until then, this address stays the account\'s address.',
        ],
        closing: [ifNotYou],
        site,
      }),

    accountDeleted: ({ to, displayName, occurredAt }) =>
      compose('accountDeleted', to, 'Your account was deleted', {
        displayName,
        paragraphs: [`Your account at ${site} was deleted on ${formatTime(occurredAt)}, with every session and all of its data.`],
        closing: ['If you did not do this, someone knew your password: change it anywhere else you use the same one.'],
        site,
      }),

    twoFactorEnabled: ({ to, displayName, occurredAt }) =>
      compose('twoFactorEnabled', to, 'Two-factor authentication is on', {
        displayName,
        paragraphs: [
          `Two-factor authentication was turned on for your account at ${site} on ${formatTime(occurredAt)}.`,
          'Signing in now also needs a code from your authenticator app, or one of your recovery codes.',
        ],
        closing: [ifNotYou],
        site,
      }),

    twoFactorDisabled: ({ to, displayName, occurredAt }) =>
      compose('twoFactorDisabled', to, 'Two-factor authentication is off', {
        displayName,
        paragraphs: [
          `Two-factor authentication was turned off for your account at ${site} on ${formatTime(occurredAt)}.`,
          'Signing in now needs your password only.',
        ],
        closing: [ifNotYou],
        site,
      }),

    recoveryCodesRegenerated: ({ to, displayName, occurredAt }) =>
      compose('recoveryCodesRegenerated', to, 'Your recovery codes were replaced', {
        displayName,
        paragraphs: [`New recovery codes were made for your account at ${site} on ${formatTime(occurredAt)}. The old ones no longer work.`],
        closing: [ifNotYou],
        site,
      }),
  };
  return templates;
}

/** The parts every mail is made of; all plain text. */
interface MailContent {
  displayName: string;
  paragraphs: string[];
  action?: { label: string; link: string; note: string };
  closing: string[];
  site: string;
}

function compose(kind: MailKind, to: string, subject: string, content: MailContent): MailMessage {
  const message: MailMessage = { kind, to, subject, text: renderText(content), html: renderHtml(subject, content) };
  if (content.action) message.link = content.action.link;
  return message;
}

function greeting(displayName: string): string {
  const name = sanitizeDisplayName(displayName);
  return name ? `Hello ${name},` : 'Hello,';
}

function renderText(content: MailContent): string {
  const blocks = [greeting(content.displayName), ...content.paragraphs];
  if (content.action) blocks.push(`${content.action.label}:\n${content.action.link}`, content.action.note);
  blocks.push(...content.closing, `-- \n${content.site}`);
  return `${blocks.join('\n\n')}\n`;
}

// Inline styles: mail clients drop <style> blocks. No double quote inside: they sit in style="…".
const FONT_FAMILY = `-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif`;
const PARAGRAPH_STYLE = `margin:0 0 16px;font:16px/1.5 ${FONT_FAMILY};color:#1f2328`;
const BUTTON_STYLE = `display:inline-block;padding:10px 18px;border-radius:6px;background:#1f6feb;color:#ffffff;text-decoration:none;font:600 16px/1.5 ${FONT_FAMILY}`;
const SMALL_STYLE = `margin:0 0 16px;font:13px/1.5 ${FONT_FAMILY};color:#59636e`;

function renderHtml(subject: string, content: MailContent): string {
  const paragraph = (text: string, style = PARAGRAPH_STYLE) => `<p style="${style}">${escapeHtml(text)}</p>`;
  const parts = [paragraph(greeting(content.displayName)), ...content.paragraphs.map((text) => paragraph(text))];
  if (content.action) {
    const href = escapeHtml(content.action.link);
    parts.push(
      `<p style="${PARAGRAPH_STYLE}"><a href="${href}" style="${BUTTON_STYLE}">${escapeHtml(content.action.label)}</a></p>`,
      paragraph(content.action.note),
      `<p style="${SMALL_STYLE}">If the button does not work, open this link:<br><a href="${href}" style="color:#1f6feb;word-break:break-all">${href}</a></p>`,
    );
  }
  parts.push(...content.closing.map((text) => paragraph(text)), paragraph(content.site, SMALL_STYLE));
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#ffffff">',
    '<div style="max-width:560px;margin:0 auto">',
    ...parts,
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text to HTML text or attribute value (double- or single-quoted). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

const MAX_DISPLAY_NAME_LENGTH = 64;

/**
 * A display name as one line of plain text: control characters (line breaks included) and
 * Unicode bidirectional controls become spaces, so that a name can neither start a line of
 * its own in the mail nor make the text around it read backwards; overlong names are cut.
 */
export function sanitizeDisplayName(displayName: string): string {
  const oneLine = displayName
    .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const characters = [...oneLine];
  return characters.length > MAX_DISPLAY_NAME_LENGTH ? `${characters.slice(0, MAX_DISPLAY_NAME_LENGTH).join('')}…` : oneLine;
}

/** 1800 → "30 minutes", 3600 → "1 hour", 86400 → "24 hours", 604800 → "7 days"; rounds down, to 1 minute at least. */
export function formatDuration(seconds: number): string {
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (seconds >= 3600 && seconds % 3600 === 0 && seconds <= 48 * 3600) return plural(seconds / 3600, 'hour');
  if (seconds >= 86_400) return plural(Math.floor(seconds / 86_400), 'day');
  if (seconds >= 7200) return plural(Math.floor(seconds / 3600), 'hour');
  return plural(Math.max(1, Math.floor(seconds / 60)), 'minute');
}

/** "2026-05-01 14:03 UTC": unambiguous wherever the reader is. */
export function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
