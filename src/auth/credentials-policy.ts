import { isEmail } from 'class-validator';
import { normalizeEmail } from '../user/user.model';

export const PASSWORD_MIN_CHARACTERS = 10;
export const PASSWORD_MAX_BYTES = 128;
export const EMAIL_MAX_LENGTH = 254;
export const DISPLAY_NAME_MAX_CHARACTERS = 64;

/** Why an email cannot be used for sign-up, or null when it can. */
export function emailProblem(email: string): string | null {
  if (email.length > EMAIL_MAX_LENGTH || !isEmail(email.trim())) return 'Enter a valid email address.';
  return null;
}

/** Why a password breaks the policy, or null when it meets it. */
export function passwordProblem(password: string, email: string): string | null {
  if ([...password].length < PASSWORD_MIN_CHARACTERS) {
    return `Password must be at least ${PASSWORD_MIN_CHARACTERS} characters.`;
  }
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) {
    return `Password must be at most ${PASSWORD_MAX_BYTES} bytes.`;
  }
  if (normalizeEmail(password) === normalizeEmail(email)) return 'Password must not be your email address.';
  return null;
}

/** A display name that can be shown safely, or null when the given one cannot. */
export function cleanDisplayName(displayName: string): string | null {
  const cleaned = displayName.normalize('NFC').trim();
  // eslint-disable-next-line no-control-regex
  if (cleaned.length === 0 || /[\u0000-\u001f\u007f]/.test(cleaned)) return null;
  if ([...cleaned].length > DISPLAY_NAME_MAX_CHARACTERS) return null;
  return cleaned;
}
