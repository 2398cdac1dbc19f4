// The SPA's one way to talk to sessionql: a GraphQL request with the session cookie.
//
// The page is served from its own origin and talks to the API on another one, which must list
// this origin in CORS_ORIGINS. The session is an HttpOnly cookie that the browser keeps and
// sends (`credentials: 'include'`); this code never sees it.
//
// The API's address comes from `?api=…` on any page (e.g. index.html?api=http://127.0.0.1:4000/graphql)
// and is remembered for the pages that links in mails open (/reset-password, /verify-email,
// /confirm-email-change), which carry only their token.

const STORED_API_KEY = 'sessionql-example-api';
const requested = new URL(location.href).searchParams.get('api');
if (requested) localStorage.setItem(STORED_API_KEY, requested);

export const API_URL = requested ?? localStorage.getItem(STORED_API_KEY) ?? 'http://127.0.0.1:4000/graphql';

export class GraphQLRequestError extends Error {
  constructor(errors) {
    super(errors.map((error) => error.message).join(' '));
    this.codes = errors.map((error) => error.extensions?.code);
  }
}

/** One GraphQL request with the session cookie; throws on GraphQL errors. */
export async function graphql(query, variables = {}) {
  const response = await fetch(API_URL, {
    method: 'POST',
    credentials: 'include',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new GraphQLRequestError(body.errors);
  return body.data;
}

export const $ = (selector) => document.querySelector(selector);

export function showStatus(message, { error = false } = {}) {
  $('#status').textContent = message;
  $('#status').classList.toggle('error', error);
}

/** The `token` of the link that opened this page. */
export function linkToken() {
  return new URL(location.href).searchParams.get('token') ?? '';
}
