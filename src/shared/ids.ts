import { randomBytes } from 'node:crypto';

/** 128 random bits, base64url: 22 characters that never contain a Redis hash-tag brace. */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
