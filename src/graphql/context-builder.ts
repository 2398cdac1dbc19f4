import type { Request, Response } from 'express';
import { Caller, type SessionCookieWriter } from '../session/caller';
import { clearedSessionCookieHeader, presentedToken, sessionCookieHeader, type SessionCookieSettings } from '../session/session-cookie';
import type { SessionService } from '../session/session.service';
import type { Clock } from '../shared/clock';
import { clientAddress } from './client-address';
import type { GraphQLContext } from './context';
import { toGraphQLError } from './error-translation';

/**
 * Turns the request's bearer header, or else its session cookie, into the Caller. The
 * token is checked here, with one store read, so that an unreachable store fails the
 * whole request with SERVICE_UNAVAILABLE (503) before anything runs: never anonymous. A
 * bad token makes the request anonymous (and its cookie expired).
 */
export function createContextBuilder(sessions: SessionService, cookie: SessionCookieSettings, clock: Clock) {
  return async ({ req, res }: { req: Request; res: Response }): Promise<GraphQLContext> => {
    const presented = presentedToken(req.headers, cookie.name);
    const authentication = presented ? await sessions.authenticate(presented.token).catch(failRequest) : null;
    const valid = authentication?.kind === 'valid' ? authentication : null;
    const caller = new Caller({
      client: { ipAddress: clientAddress(req), userAgent: req.get('user-agent') ?? null },
      presented,
      authenticated: valid?.viewer ?? null,
      ...(valid?.idleExpirySlideDue ? { beforeFirstUse: (viewer) => sessions.slideIdleExpiry(viewer) } : {}),
      cookie: new ResponseSessionCookie(res, cookie, clock),
    });
    if (authentication?.kind === 'rejected') caller.signedOut();
    return { caller };
  };
}

/** Apollo answers an error thrown while building the context itself, with its http status. */
function failRequest(error: unknown): never {
  throw toGraphQLError(error);
}

/** Writes what the Caller decided into the response's Set-Cookie header. */
class ResponseSessionCookie implements SessionCookieWriter {
  constructor(
    private readonly res: Response,
    private readonly settings: SessionCookieSettings,
    private readonly clock: Clock,
  ) {}

  issue(token: string, expiresAt: Date): void {
    // Replaces (not appends) so that a cleared-then-issued cookie sends only the new one.
    this.res.setHeader('Set-Cookie', sessionCookieHeader(this.settings, token, expiresAt, this.clock.now()));
  }

  clear(options: { clearSiteData?: boolean } = {}): void {
    this.res.setHeader('Set-Cookie', clearedSessionCookieHeader(this.settings));
    if (options.clearSiteData) this.res.setHeader('Clear-Site-Data', '"cookies"');
  }
}
