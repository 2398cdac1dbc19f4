// The SPA's one way to talk to sessionql: @sessionql/client (client/ in this repository, as
// one browser module in ./vendor, built by `npm run build:client`) in cookie mode, with its
// typed documents.
//
// The page is served from its own origin and talks to the API on another one, which must list
// this origin in CORS_ORIGINS. The session is an HttpOnly cookie that the browser keeps and
// sends (`credentials: 'include'`); this code never sees it.
//
// The API's address comes from `?api=…` on any page (e.g. index.html?api=http://127.0.0.1:4000/graphql)
// and is remembered for the pages that links in mails open (/reset-password, /verify-email,
// /confirm-email-change), which carry only their token.

import { createClient } from './vendor/sessionql-client.js';

const STORED_API_KEY = 'sessionql-example-api';
const requested = new URL(location.href).searchParams.get('api');
if (requested) localStorage.setItem(STORED_API_KEY, requested);

export const API_URL = requested ?? localStorage.getItem(STORED_API_KEY) ?? 'http://127.0.0.1:4000/graphql';

/** `api.request(Document, variables)`: the data, or a SessionqlError (`error.codes`, `error.has('STEP_UP_REQUIRED')`). */
export const api = createClient({ url: API_URL, transport: 'cookie' });

export const $ = (selector) => document.querySelector(selector);

export function showStatus(message, { error = false } = {}) {
  $('#status').textContent = message;
  $('#status').classList.toggle('error', error);
}

/** The `token` of the link that opened this page. */
export function linkToken() {
  return new URL(location.href).searchParams.get('token') ?? '';
}
