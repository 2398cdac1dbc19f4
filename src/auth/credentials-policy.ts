import { isEmail } from 'class-validator';
import { normalizeEmail } from '../user/user.model';

export const PASSWORD_MIN_CHARACTERS = 10;
export const PASSWORD_MAX_BYTES = 128;
export const EMAIL_MAX_LENGTH = 254;
export const DISPLAY_NAME_MAX_CHARACTERS = 64;

/** The schema's words for the rules below, so that every field they apply to says the same. */
export const CREDENTIAL_DESCRIPTIONS = {
  newPassword: `At least ${PASSWORD_MIN_CHARACTERS} characters, at most ${PASSWORD_MAX_BYTES} bytes, not the email.`,
  accountPassword: "The account's password.",
  accountEmail: "The account's address; case is ignored.",
  displayName: `1 to ${DISPLAY_NAME_MAX_CHARACTERS} characters with something visible; no control or bidi characters.`,
} as const;

/**
 * Characters an address must never hide: controls, format characters (zero-width spaces and
 * joiners, the soft hyphen, bidi controls), line and paragraph separators, private use.
 * Two addresses that look the same must be the same address.
 */
const HIDDEN_IN_EMAIL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}]/u;
/** Bidi embeddings, overrides and isolates, and the marks that steer them: they reorder what is shown around them. */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
/** C0 and C1 controls, DEL, and line or paragraph separators. */
const CONTROLS = /[\p{Cc}\p{Zl}\p{Zp}]/u;
/** What shows nothing by itself: spaces, format characters, combining marks, default-ignorable fillers. */
const INVISIBLE = /[\s\p{Cf}\p{M}\p{Default_Ignorable_Code_Point}]/gu;

export type ParsedEmail = { email: string; problem?: never } | { email?: never; problem: string };

/**
 * The address as stored, shown and mailed: NFKC (fullwidth and other compatibility forms
 * become their plain letters), trimmed, its case kept. Uniqueness and lookups use
 * normalizeEmail, which also ignores case.
 */
export function parseEmail(raw: string): ParsedEmail {
  if (HIDDEN_IN_EMAIL.test(raw)) return { problem: 'Enter a valid email address: it holds invisible or control characters.' };
  const email = raw.normalize('NFKC').trim();
  if (email.length > EMAIL_MAX_LENGTH || !isEmail(email)) return { problem: 'Enter a valid email address.' };
  return { email };
}

/**
 * Why a password cannot be checked or set at all, or null: a lone UTF-16 surrogate has no
 * UTF-8 form, and would become U+FFFD, making different passwords the same.
 */
export function passwordEncodingProblem(password: string): string | null {
  return password.isWellFormed() ? null : 'Password contains characters that are not valid Unicode text.';
}

/** Why a password breaks the policy, or null when it meets it. */
export function passwordProblem(password: string, email: string): string | null {
  const encoding = passwordEncodingProblem(password);
  if (encoding) return encoding;
  if ([...password].length < PASSWORD_MIN_CHARACTERS) {
    return `Password must be at least ${PASSWORD_MIN_CHARACTERS} characters.`;
  }
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) {
    return `Password must be at most ${PASSWORD_MAX_BYTES} bytes.`;
  }
  if (normalizeEmail(password) === normalizeEmail(email)) return 'Password must not be your email address.';
  return null;
}

/**
 * A display name that can be shown safely, or null: no controls, no bidi controls that would
 * reorder the text around it, something visible, at most 64 characters. Emoji sequences
 * (joined with U+200D) stay allowed.
 */
export function cleanDisplayName(displayName: string): string | null {
  const cleaned = displayName.normalize('NFC').trim();
  if (CONTROLS.test(cleaned) || BIDI_CONTROLS.test(cleaned)) return null;
  if (cleaned.replace(INVISIBLE, '').length === 0) return null;
  if ([...cleaned].length > DISPLAY_NAME_MAX_CHARACTERS) return null;
  return cleaned;
}
