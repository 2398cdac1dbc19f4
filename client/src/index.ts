/**
 * @sessionql/client: the typed documents of the operations a front end needs (generated from
 * the server's schema by GraphQL Code Generator: use them with this package's client, Apollo
 * Client, urql or any client that takes a TypedDocumentNode), the error codes as a union
 * type, and a small fetch client for cookie (browser) and bearer (app) sessions.
 */
export * from './generated/graphql.js';
export { ERROR_CODES, errorCodesOf, isErrorCode, SessionqlError, type ErrorCode, type GraphQLErrorPayload } from './errors.js';
export { createClient, type BearerClientOptions, type ClientOptions, type CookieClientOptions, type SessionqlClient, type TokenStorage } from './client.js';
