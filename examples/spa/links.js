// The pages that links in sessionql's mails open: /reset-password, /verify-email and
// /confirm-email-change, each with `?token=…`. A token works once; the server says why one
// does not (used, replaced by a newer mail, or expired).

import { $, graphql, linkToken, showStatus } from './api.js';

const PAGES = {
  'reset-password': () => {
    $('#reset-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const newPassword = new FormData(event.target).get('newPassword');
      settle(async () => {
        await graphql('mutation ($input: ResetPasswordInput!) { resetPassword(input: $input) }', { input: { token: linkToken(), newPassword } });
        event.target.hidden = true;
        return 'Your password is set. Every session was signed out: sign in again with the new password.';
      });
    });
    document.body.dataset.state = 'ready';
  },
  'verify-email': () =>
    settle(async () => {
      await graphql('mutation ($token: String!) { verifyEmail(token: $token) }', { token: linkToken() });
      return 'Your email address is verified.';
    }),
  'confirm-email-change': () =>
    settle(async () => {
      await graphql('mutation ($token: String!) { confirmEmailChange(token: $token) }', { token: linkToken() });
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
