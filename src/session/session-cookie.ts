import { parseCookie, stringifySetCookie } from 'cookie';

/**
 * Browsers carry the token in an HttpOnly cookie; other clients in an
 * `Authorization: Bearer` header. A token is read from nowhere else (not the URL, the
 * variables or the extensions). Any Authorization header, empty or malformed included,
 * wins over the cookie: a request that says it authenticates by header is judged by its
 * header alone (a malformed one makes it anonymous), so that a cookie never answers for it.
 */
export interface PresentedToken {
  token: string;
  via: 'cookie' | 'header';
}

export interface SessionCookieSettings {
  name: string;
  secure: boolean;
}

/** `__Host-` makes browsers refuse the cookie unless Secure, Path=/ and host-only. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-sid' : 'sid';
}

export function presentedToken(
  headers: { authorization?: string | undefined; cookie?: string | undefined },
  cookieName: string,
): PresentedToken | null {
  if (headers.authorization !== undefined) {
    const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization);
    return { token: bearer?.[1] ?? '', via: 'header' };
  }
  if (!headers.cookie) return null;
  const token = parseCookie(headers.cookie)[cookieName];
  return token ? { token, via: 'cookie' } : null;
}

/** The Set-Cookie value that hands a browser its session token until `expiresAt`. */
export function sessionCookieHeader(settings: SessionCookieSettings, token: string, expiresAt: Date, now: Date): string {
  return stringifySetCookie({
    name: settings.name,
    value: token,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: settings.secure,
    expires: expiresAt,
    maxAge: Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
  });
}

/** The Set-Cookie value that makes a browser forget its session token. */
export function clearedSessionCookieHeader(settings: SessionCookieSettings): string {
  return stringifySetCookie({
    name: settings.name,
    value: '',
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: settings.secure,
    expires: new Date(0),
    maxAge: 0,
  });
}
