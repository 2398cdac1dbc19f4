import type { Request, Response } from 'express';
import type { Authentication, SessionService, Viewer } from '../session/session.service';
import { clearedSessionCookie, presentedToken, sessionCookie } from '../session/session-transport';
import type { Clock } from '../shared/clock';
import { serviceUnavailable, StoreUnavailableError } from '../shared/errors';
import type { GraphQLContext, SessionCookieControl } from './context';

export interface CookieSettings {
  name: string;
  secure: boolean;
}

/**
 * Turns the request's cookie or bearer header into `viewer`. A bad token makes the
 * request anonymous (and clears a bad cookie); an unreachable store fails the request
 * with SERVICE_UNAVAILABLE and 503, never treating it as anonymous.
 */
export function createContextBuilder(sessions: SessionService, cookie: CookieSettings, clock: Clock) {
  return async ({ req, res }: { req: Request; res: Response }): Promise<GraphQLContext> => {
    const presented = presentedToken(req.headers, cookie.name);
    const sessionCookieControl = new ResponseSessionCookie(res, cookie, clock, presented?.via ?? null);
    let viewer: Viewer | null = null;
    if (presented) {
      const authentication = await authenticateOrFail(sessions, presented.token);
      if (authentication.kind === 'valid') viewer = authentication.viewer;
      else if (presented.via === 'cookie') sessionCookieControl.clear();
    }
    return {
      viewer,
      client: { ipAddress: req.ip ?? null, userAgent: req.get('user-agent') ?? null },
      sessionCookie: sessionCookieControl,
    };
  };
}

async function authenticateOrFail(sessions: SessionService, token: string): Promise<Authentication> {
  try {
    return await sessions.authenticate(token);
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw serviceUnavailable();
    throw error;
  }
}

class ResponseSessionCookie implements SessionCookieControl {
  constructor(
    private readonly res: Response,
    private readonly settings: CookieSettings,
    private readonly clock: Clock,
    readonly presentedVia: 'cookie' | 'header' | null,
  ) {}

  issue(token: string, expiresAt: Date): void {
    // Replaces (not appends) so that a cleared-then-issued cookie sends only the new one.
    this.res.setHeader('Set-Cookie', sessionCookie(this.settings.name, token, expiresAt, this.settings.secure, this.clock.now()));
  }

  clear(options: { clearSiteData?: boolean } = {}): void {
    this.res.setHeader('Set-Cookie', clearedSessionCookie(this.settings.name, this.settings.secure));
    if (options.clearSiteData) this.res.setHeader('Clear-Site-Data', '"cookies"');
  }
}
