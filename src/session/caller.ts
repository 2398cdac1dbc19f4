import { SessionTransport, type ClientInfo, type SessionRecord, type Viewer } from './session.model';
import type { PresentedToken } from './session-cookie';

/** What the HTTP layer can do with the cookies; the Caller decides when. */
export interface ResponseCookies {
  setSession(token: string, expiresAt: Date): void;
  /** Expires the session cookie; with `clearSiteData`, also asks the browser to drop all cookies. */
  clearSession(options?: { clearSiteData?: boolean }): void;
  setDevice(token: string, expiresAt: Date): void;
  clearDevice(): void;
}

/** A signed-in result to hand to the client: the session, its user, its token and its device. */
export interface SignedIn {
  user: Viewer['user'];
  session: SessionRecord;
  /** The bearer token; the Caller decides whether it goes in a cookie or the response body. */
  token: string;
  /** A device token issued with this sign-in (a client not known before), and until when it is good; null when the client holds one. */
  device: { token: string; expiresAt: Date } | null;
}

export interface CallerInit {
  /** Where the request came from; read only by the operations that need it (sign-in, throttles). */
  client: () => ClientInfo;
  /** The session token the request presented, if any. */
  presented: PresentedToken | null;
  /** The known-device token the request presented (X-Device-Token header, else the device cookie), if any; read when needed. */
  presentedDevice: () => PresentedToken | null;
  /** Who the presented token proved the caller to be; null when none was presented or it was rejected. */
  authenticated: Viewer | null;
  /**
   * Runs once, the first time the viewer is used: slides the session's idle expiry when that
   * is due, and answers null when the session ended meanwhile. An operation that never uses
   * its viewer (a login replacing the presented session) never runs it.
   */
  beforeFirstUse?: (viewer: Viewer) => Promise<Viewer | null>;
  cookies: ResponseCookies;
}

/**
 * One request's caller: who is asking, from where, with which tokens, and the one place
 * that decides what the cookies become. Services receive it and tell it what happened (a
 * session started, a session ended, a device forgotten); it keeps `viewer` and the cookies
 * in step:
 * - a COOKIE session started: the session cookie is set, and the device cookie when a
 *   device token was issued; a HEADER session started by a browser that presented a session
 *   cookie: that cookie is expired (a HEADER client gets its device token in the body);
 * - a sign-in completed with its second factor: the device cookie, when a device token was
 *   issued then;
 * - the device the caller presented by cookie was forgotten: the device cookie is expired;
 * - the caller's own session ended (logout, revokeSession, an admin revoking their own
 *   user's sessions): the caller is anonymous from then on, and a presented cookie is
 *   expired;
 * - a presented token was rejected: a presented cookie is expired.
 */
export class Caller {
  readonly presented: PresentedToken | null;
  private clientInfo: ClientInfo | undefined;
  private device: PresentedToken | null | undefined;
  private viewerPromise: Promise<Viewer | null> | null = null;
  /** The viewer once `viewerPromise` has settled (null: anonymous); undefined before. */
  private settled: Viewer | null | undefined = undefined;
  private readonly reads = new Map<string, Promise<unknown>>();

  constructor(private readonly init: CallerInit) {
    this.presented = init.presented;
  }

  /** Where the request came from (its address as TRUST_PROXY allows, its user agent). */
  get client(): ClientInfo {
    this.clientInfo ??= this.init.client();
    return this.clientInfo;
  }

  /** The known-device token this request presented, if any. */
  get presentedDevice(): string | null {
    return this.presentedDeviceToken()?.token ?? null;
  }

  private presentedDeviceToken(): PresentedToken | null {
    if (this.device === undefined) this.device = this.init.presentedDevice();
    return this.device;
  }

  /** Who is asking (null: anonymous). */
  viewer(): Promise<Viewer | null> {
    if (!this.viewerPromise) {
      const first: Promise<Viewer | null> = this.firstUse().then((viewer) => {
        // Unless something decided meanwhile (a sign-in, a sign-out): that stands.
        if (this.viewerPromise === first) this.settled = viewer;
        return viewer;
      });
      this.viewerPromise = first;
    }
    return this.viewerPromise;
  }

  /**
   * Who is asking, when that is already known (the operation's first field asked); undefined
   * otherwise. Lets a field rule decide without waiting a turn (see graphql/auth-directive.ts).
   */
  knownViewer(): Viewer | null | undefined {
    return this.settled;
  }

  /** The viewer, for code that runs only behind `@auth`; anonymous callers never reach it. */
  async signedInViewer(): Promise<Viewer> {
    const viewer = await this.viewer();
    if (!viewer) throw new Error('signedInViewer() called for an anonymous caller: the field lacks @auth');
    return viewer;
  }

  /**
   * What this request reads, read once: the same user's sessions asked for twice in one
   * operation (`me { sessions }` beside `mySessions`, or nested lists) cost one store round
   * trip. Forgotten whenever the request changes something (forgetReads), so that a later
   * field of a mutation sees the change.
   */
  readOnce<T>(key: string, read: () => Promise<T>): Promise<T> {
    let pending = this.reads.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = read();
      this.reads.set(key, pending);
    }
    return pending;
  }

  forgetReads(): void {
    this.reads.clear();
  }

  /** signUp or login started a session: the rest of the operation acts as it. */
  sessionStarted(signedIn: SignedIn): void {
    this.forgetReads();
    if (signedIn.session.transport === SessionTransport.COOKIE) {
      this.init.cookies.setSession(signedIn.token, signedIn.session.absoluteExpiresAt);
      this.deviceIssued(signedIn.session, signedIn.device);
    } else if (this.presented?.via === 'cookie') {
      this.init.cookies.clearSession();
    }
    this.settled = { user: signedIn.user, session: signedIn.session };
    this.viewerPromise = Promise.resolve(this.settled);
  }

  /**
   * The client became a known device of the account with a new token (null: it holds one
   * already): a COOKIE session's browser gets it as the device cookie, a HEADER client in
   * the body.
   */
  deviceIssued(session: SessionRecord, device: SignedIn['device']): void {
    if (device && session.transport === SessionTransport.COOKIE) this.init.cookies.setDevice(device.token, device.expiresAt);
  }

  /**
   * The caller's own session or user was rewritten (a step-up, a verified address, a new
   * display name): later fields see the new record, and a new token (when the session's
   * secret was rotated) replaces the session cookie of a COOKIE session (a HEADER client
   * gets it in the body).
   */
  viewerUpdated(viewer: Viewer, token: string | null = null): void {
    this.forgetReads();
    if (token && viewer.session.transport === SessionTransport.COOKIE) this.init.cookies.setSession(token, viewer.session.absoluteExpiresAt);
    this.settled = viewer;
    this.viewerPromise = Promise.resolve(viewer);
  }

  /** One of the viewer's user's sessions ended; if it was this caller's own, the caller is signed out. */
  async sessionEnded(sessionId: string, options: { clearSiteData?: boolean } = {}): Promise<void> {
    this.forgetReads();
    const viewer = await this.viewer();
    if (viewer?.session.id === sessionId) this.signedOut(options);
  }

  /** The caller's own session is over, or its token was rejected: anonymous from now on, cookie expired. */
  signedOut(options: { clearSiteData?: boolean } = {}): void {
    this.forgetReads();
    this.settled = null;
    this.viewerPromise = Promise.resolve(null);
    this.expirePresentedCookie(options);
  }

  private async firstUse(): Promise<Viewer | null> {
    const { authenticated, beforeFirstUse } = this.init;
    if (!authenticated || !beforeFirstUse) return authenticated;
    const current = await beforeFirstUse(authenticated);
    if (!current) this.expirePresentedCookie();
    return current;
  }

  /** The device whose token this request presented was forgotten. */
  deviceForgotten(): void {
    if (this.presentedDeviceToken()?.via === 'cookie') this.init.cookies.clearDevice();
  }

  private expirePresentedCookie(options: { clearSiteData?: boolean } = {}): void {
    if (this.presented?.via === 'cookie') this.init.cookies.clearSession(options);
  }
}
