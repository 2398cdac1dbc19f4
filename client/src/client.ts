import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { SessionqlError, type GraphQLErrorPayload } from './errors.js';

/** Where an app keeps a token between launches (iOS Keychain, Android Keystore…); sync or async. */
export interface TokenStorage {
  get(): string | null | Promise<string | null>;
  set(token: string): void | Promise<void>;
  clear(): void | Promise<void>;
}

interface CommonOptions {
  /** The GraphQL endpoint, e.g. https://api.example.com/graphql. */
  url: string;
  /** Another fetch (one with a cookie jar in Node, a mock in tests); the global one by default. */
  fetch?: typeof fetch;
  /** Sent with every request. */
  headers?: Record<string, string>;
}

/**
 * A browser: the session is an HttpOnly cookie the browser keeps and sends (`credentials:
 * 'include'`); this code never sees a token. The SPA's origin must be in the server's
 * CORS_ORIGINS when it is not the API's.
 */
export interface CookieClientOptions extends CommonOptions {
  transport: 'cookie';
}

/**
 * An app (React Native, a CLI): the session token comes back once from signUp, login and
 * verifySecondFactor (transport HEADER), is kept in `sessionToken` and sent as
 * `Authorization: Bearer`. With `deviceToken`, the known-device token is kept and sent as
 * `X-Device-Token`, so that the app's logins are throttled on its own budget.
 */
export interface BearerClientOptions extends CommonOptions {
  transport: 'bearer';
  sessionToken: TokenStorage;
  deviceToken?: TokenStorage;
}

export type ClientOptions = CookieClientOptions | BearerClientOptions;

/** An operation's variables: optional when it takes none. */
type VariablesArgument<TVariables> = TVariables extends Record<string, never> ? [variables?: TVariables] : [variables: TVariables];

export interface SessionqlClient {
  /** What to pass as `transport` in SignUpInput and LoginInput for this client. */
  readonly sessionTransport: 'COOKIE' | 'HEADER';
  /**
   * Runs a typed operation: resolves with its data, or throws SessionqlError (the codes, the
   * HTTP status, and whatever data did resolve).
   */
  request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, ...variables: VariablesArgument<TVariables>): Promise<TResult>;
  /** Forgets the session token (bearer): when `me` answers null or a field UNAUTHENTICATED, the session has ended. */
  forgetSession(): Promise<void>;
}

const printed = new WeakMap<object, string>();

function queryText(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** A sessionql client over fetch, for cookies (browsers) or bearer tokens (apps). */
export function createClient(options: ClientOptions): SessionqlClient {
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  const bearer = options.transport === 'bearer' ? options : null;

  async function requestHeaders(): Promise<Record<string, string>> {
    const headers: Record<string, string> = { ...options.headers, 'content-type': 'application/json' };
    const token = await bearer?.sessionToken.get();
    if (token) headers.authorization = `Bearer ${token}`;
    const device = await bearer?.deviceToken?.get();
    if (device) headers['x-device-token'] = device;
    return headers;
  }

  /** Keeps the tokens an AuthPayload hands a HEADER session (signUp, login, verifySecondFactor); forgets one that logout ended. */
  async function keepTokens(data: Record<string, unknown>): Promise<void> {
    if (!bearer) return;
    for (const [field, value] of Object.entries(data)) {
      if (field === 'logout') await bearer.sessionToken.clear();
      if (typeof value !== 'object' || value === null) continue;
      const { token, deviceToken } = value as { token?: unknown; deviceToken?: unknown };
      if (typeof token === 'string') await bearer.sessionToken.set(token);
      if (typeof deviceToken === 'string') await bearer.deviceToken?.set(deviceToken);
    }
  }

  return {
    sessionTransport: bearer ? 'HEADER' : 'COOKIE',

    async request<TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, ...[variables]: VariablesArgument<TVariables>) {
      const response = await send(options.url, {
        method: 'POST',
        headers: await requestHeaders(),
        // Browsers: send and keep the session cookie, also across origins listed in CORS_ORIGINS.
        ...(bearer ? {} : { credentials: 'include' as const }),
        body: JSON.stringify({ query: queryText(document), variables: variables ?? {} }),
      });
      let body: { data?: Record<string, unknown> | null; errors?: GraphQLErrorPayload[] };
      try {
        body = (await response.json()) as typeof body;
      } catch {
        throw new SessionqlError([], response.status);
      }
      if (body.data) await keepTokens(body.data);
      if (body.errors?.length || !body.data) throw new SessionqlError(body.errors ?? [], response.status, body.data ?? null);
      return body.data as TResult;
    },

    async forgetSession() {
      await bearer?.sessionToken.clear();
    },
  };
}
