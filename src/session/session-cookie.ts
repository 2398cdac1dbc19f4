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

export interface CookieSettings {
  name: string;
  secure: boolean;
}

/** `__Host-` makes browsers refuse the cookie unless Secure, Path=/ and host-only. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-sid' : 'sid';
}

/** The known-device cookie (device/), named like the session cookie. */
export function deviceCookieName(secure: boolean): string {
  return secure ? '__Host-did' : 'did';
}

/** Where apps send their known-device token back (browsers send the device cookie). */
export const DEVICE_TOKEN_HEADER = 'x-device-token';

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

/** The known-device token a request presented: the X-Device-Token header, else the device cookie. */
export function presentedDeviceToken(headers: Record<string, string | string[] | undefined>, cookieName: string): PresentedToken | null {
  const header = headers[DEVICE_TOKEN_HEADER];
  if (typeof header === 'string') return { token: header.trim(), via: 'header' };
  const cookie = headers.cookie;
  const token = typeof cookie === 'string' ? parseCookie(cookie)[cookieName] : undefined;
  return token ? { token, via: 'cookie' } : null;
}

/** The Set-Cookie value that hands a browser a token until `expiresAt`: HttpOnly, SameSite=Lax, Path=/, host-only. */
export function cookieHeader(settings: CookieSettings, token: string, expiresAt: Date, now: Date): string {
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

/** The Set-Cookie value that makes a browser forget a token. */
export function clearedCookieHeader(settings: CookieSettings): string {
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
