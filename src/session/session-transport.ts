import { parseCookie, stringifySetCookie } from 'cookie';

/**
 * Browsers carry the token in an HttpOnly cookie; other clients in an
 * `Authorization: Bearer` header. A token is read from nowhere else (not the URL, the
 * variables or the extensions), and when both are present the header wins.
 */
export interface PresentedToken {
  token: string;
  via: 'cookie' | 'header';
}

/** `__Host-` makes browsers refuse the cookie unless Secure, Path=/ and host-only. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-sid' : 'sid';
}

export function presentedToken(
  headers: { authorization?: string | undefined; cookie?: string | undefined },
  cookieName: string,
): PresentedToken | null {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.authorization ?? '');
  if (bearer) return { token: bearer[1]!, via: 'header' };
  if (!headers.cookie) return null;
  const token = parseCookie(headers.cookie)[cookieName];
  return token ? { token, via: 'cookie' } : null;
}

export function sessionCookie(name: string, token: string, expiresAt: Date, secure: boolean, now: Date): string {
  return stringifySetCookie({
    name,
    value: token,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure,
    expires: expiresAt,
    maxAge: Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
  });
}

export function clearedSessionCookie(name: string, secure: boolean): string {
  return stringifySetCookie({
    name,
    value: '',
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure,
    expires: new Date(0),
    maxAge: 0,
  });
}
