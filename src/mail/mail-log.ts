import { createHash } from 'node:crypto';
import type { MailMessage } from './mailer';
import { MailDeliveryError } from './smtp.transport';

/**
 * How a recipient appears in log lines: by domain (which relay or provider is refusing) and
 * by a short hash of the lower-cased address (to match a user's complaint against the logs
 * by hashing their address), never by the address itself.
 */
export function recipientFields(to: string): { toDomain: string; toHash: string } {
  const address = to.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  return {
    toDomain: at >= 0 ? address.slice(at + 1) : '(none)',
    toHash: createHash('sha256').update(address).digest('hex').slice(0, 16),
  };
}

const MAX_LOGGED_MESSAGE_LENGTH = 300;

/**
 * A delivery failure as a log field. Relays quote commands back in their replies, and a
 * reply to DATA could quote the body, so the message loses the mail's link, any `token=`
 * value and the recipient's address before it is logged; no stack (it says nothing about
 * a relay's answer).
 */
export function describeFailure(
  error: unknown,
  message?: MailMessage,
): { message: string; code?: string; responseCode?: number; command?: string; permanent?: boolean } {
  const text = error instanceof Error ? error.message : String(error);
  const described = { message: redact(text, message) };
  if (!(error instanceof MailDeliveryError)) return described;
  return { ...described, ...error.details };
}

function redact(text: string, message?: MailMessage): string {
  let redacted = text;
  if (message?.link) {
    redacted = redacted.split(message.link).join('[link]');
    const token = new URL(message.link).searchParams.get('token');
    if (token) redacted = redacted.split(token).join('[redacted]');
  }
  // Whatever a token= parameter holds, in any URL (URL-safe characters and percent escapes).
  redacted = redacted.replace(/(token=)[\w.~%+/=-]+/gi, '$1[redacted]');
  if (message?.to) redacted = redacted.replace(new RegExp(escapeRegExp(message.to.trim()), 'gi'), '[recipient]');
  return redacted.length > MAX_LOGGED_MESSAGE_LENGTH ? `${redacted.slice(0, MAX_LOGGED_MESSAGE_LENGTH)}…` : redacted;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
