import type { IncomingMessage, ServerResponse } from 'node:http';
import { Caller, type ResponseCookies } from '../session/caller';
import { clearedCookieHeader, cookieHeader, presentedDeviceToken, presentedToken, type CookieSettings } from '../session/session-cookie';
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
export function createContextBuilder(
  sessions: SessionService,
  cookies: { session: CookieSettings; device: CookieSettings },
  clock: Clock,
  /** The address Express' `req.ip` would give: X-Forwarded-For as far as TRUST_PROXY trusts it. */
  forwardedAddress: (req: IncomingMessage) => string | undefined,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<GraphQLContext> => {
    // The peer's address is taken now: a socket that closes before an operation reads it forgets it.
    const remoteAddress = req.socket.remoteAddress;
    const peer = { headers: req.headers, socket: { remoteAddress }, connection: { remoteAddress } } as unknown as IncomingMessage;
    const presented = presentedToken(req.headers, cookies.session.name);
    const authentication = presented ? await sessions.authenticate(presented.token).catch(failRequest) : null;
    const valid = authentication?.kind === 'valid' ? authentication : null;
    const caller = new Caller({
      client: () => ({ ipAddress: clientAddress({ ip: forwardedAddress(peer), socket: peer.socket }), userAgent: req.headers['user-agent'] ?? null }),
      presented,
      presentedDevice: () => presentedDeviceToken(req.headers, cookies.device.name),
      authenticated: valid?.viewer ?? null,
      ...(valid?.idleExpirySlideDue ? { beforeFirstUse: (viewer) => sessions.slideIdleExpiry(viewer) } : {}),
      cookies: new HttpResponseCookies(res, cookies, clock),
    });
    if (authentication?.kind === 'rejected') caller.signedOut();
    return { caller };
  };
}

/** Apollo answers an error thrown while building the context itself, with its http status. */
function failRequest(error: unknown): never {
  throw toGraphQLError(error);
}

/**
 * Writes what the Caller decided into the response's Set-Cookie header: one value per
 * cookie, the last decision about each winning (a cleared-then-issued session cookie
 * sends only the new one), the session cookie first.
 */
class HttpResponseCookies implements ResponseCookies {
  private readonly values = new Map<'session' | 'device', string>();

  constructor(
    private readonly res: ServerResponse,
    private readonly settings: { session: CookieSettings; device: CookieSettings },
    private readonly clock: Clock,
  ) {}

  setSession(token: string, expiresAt: Date): void {
    this.write('session', cookieHeader(this.settings.session, token, expiresAt, this.clock.now()));
  }

  clearSession(options: { clearSiteData?: boolean } = {}): void {
    this.write('session', clearedCookieHeader(this.settings.session));
    if (options.clearSiteData) this.res.setHeader('Clear-Site-Data', '"cookies"');
  }

  setDevice(token: string, expiresAt: Date): void {
    this.write('device', cookieHeader(this.settings.device, token, expiresAt, this.clock.now()));
  }

  clearDevice(): void {
    this.write('device', clearedCookieHeader(this.settings.device));
  }

  private write(cookie: 'session' | 'device', value: string): void {
    this.values.set(cookie, value);
    const ordered = (['session', 'device'] as const).flatMap((name) => {
      const header = this.values.get(name);
      return header === undefined ? [] : [header];
    });
    this.res.setHeader('Set-Cookie', ordered);
  }
}
