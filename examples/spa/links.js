// The pages that links in sessionql's mails open: /reset-password, /verify-email and
// /confirm-email-change, each with `?token=…`. A token works once; the server says why one
// does not (used, replaced by a newer mail, or expired).

import { $, api, linkToken, showStatus } from './api.js';
import { ConfirmEmailChangeDocument, ResetPasswordDocument, VerifyEmailDocument } from './vendor/sessionql-client.js';

const PAGES = {
  'reset-password': () => {
    $('#reset-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const newPassword = new FormData(event.target).get('newPassword');
      settle(async () => {
        await api.request(ResetPasswordDocument, { input: { token: linkToken(), newPassword } });
        event.target.hidden = true;
        return 'Your password is set. Every session was signed out: sign in again with the new password.';
      });
    });
    document.body.dataset.state = 'ready';
  },
  'verify-email': () =>
    settle(async () => {
      await api.request(VerifyEmailDocument, { token: linkToken() });
      return 'Your email address is verified.';
    }),
  'confirm-email-change': () =>
    settle(async () => {
      await api.request(ConfirmEmailChangeDocument, { token: linkToken() });
      return 'Your account now uses the new address.';
    }),
};

/** Runs the page's one request and shows how it went; `data-state` says so for tests. */
async function settle(request) {
  document.body.dataset.state = 'busy';
  try {
    showStatus(await request());
    document.body.dataset.state = 'done';
  } catch (error) {
    showStatus(error.message, { error: true });
    document.body.dataset.state = 'failed';
  }
}

PAGES[document.body.dataset.page]();
