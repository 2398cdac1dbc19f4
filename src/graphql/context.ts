import type { ClientInfo, Viewer } from '../session/session.service';

/**
 * The narrow capability resolvers get over the session cookie: they decide when it is
 * set or cleared; only the HTTP layer knows how.
 */
export interface SessionCookieControl {
  /** How this request presented its token, if it did. */
  readonly presentedVia: 'cookie' | 'header' | null;
  issue(token: string, expiresAt: Date): void;
  /** Expires the cookie; with `clearSiteData`, also asks the browser to drop all cookies. */
  clear(options?: { clearSiteData?: boolean }): void;
}

/** Facts about the request, not the application's tools. */
export interface GraphQLContext {
  /** Who is asking; replaced by login/signUp and cleared by logout within the same operation. */
  viewer: Viewer | null;
  client: ClientInfo;
  sessionCookie: SessionCookieControl;
}
