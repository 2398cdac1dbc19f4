// A sessionql client in plain JavaScript: no framework, no bundler, no token handling.
// The main page: sign up, log in, forgotten password, the signed-in user and their sessions.

import { $, API_URL, graphql, showStatus } from './api.js';

const USER_FIELDS = 'id email emailVerified displayName roles';
const SESSION_FIELDS = 'id current transport createdAt lastSeenAt expiresAt ipAddress userAgent';

const api = {
  me: async () => (await graphql(`{ me { ${USER_FIELDS} } }`)).me,
  mySessions: async () => (await graphql(`{ mySessions { ${SESSION_FIELDS} } }`)).mySessions,
  signUp: (input) => graphql(`mutation ($input: SignUpInput!) { signUp(input: $input) { user { ${USER_FIELDS} } } }`, { input }),
  login: (input) => graphql(`mutation ($input: LoginInput!) { login(input: $input) { user { ${USER_FIELDS} } } }`, { input }),
  logout: async () => (await graphql('mutation { logout }')).logout,
  revokeSession: async (id) => (await graphql('mutation ($id: ID!) { revokeSession(id: $id) }', { id })).revokeSession,
  revokeOtherSessions: async () => (await graphql('mutation { revokeOtherSessions }')).revokeOtherSessions,
  requestPasswordReset: (email) => graphql('mutation ($email: String!) { requestPasswordReset(email: $email) }', { email }),
  requestEmailVerification: () => graphql('mutation { requestEmailVerification }'),
};

/**
 * Shows the server's answer: signed in (`me` and its sessions), signed out, or, when the
 * API cannot be reached or refuses this origin (CORS), neither. Text goes in with
 * textContent only: display names and user agents are user input.
 */
function render(state, me = null, sessions = []) {
  document.body.dataset.state = state;
  // For tests and curious readers: how many times an answer was rendered.
  document.body.dataset.renders = String(Number(document.body.dataset.renders ?? 0) + 1);
  $('#signed-out').hidden = state !== 'signed-out';
  $('#signed-in').hidden = state !== 'signed-in';
  if (!me) return;
  $('#me-name').textContent = me.displayName;
  $('#me-email').textContent = me.email;
  $('#me-verified').textContent = me.emailVerified ? 'verified' : 'not verified yet';
  $('#resend-verification').hidden = me.emailVerified;
  $('#me-id').textContent = me.id;
  $('#me-roles').textContent = me.roles.join(', ');
  $('#sessions').replaceChildren(...sessions.map(sessionRow));
}

function sessionRow(session) {
  const row = document.createElement('tr');
  row.dataset.sessionId = session.id;
  row.classList.toggle('current', session.current);
  const cells = [
    session.current ? `This browser (${session.userAgent ?? 'unknown'})` : (session.userAgent ?? 'unknown device'),
    session.transport,
    new Date(session.createdAt).toLocaleString(),
    new Date(session.lastSeenAt).toLocaleString(),
    session.ipAddress ?? '',
  ];
  for (const text of cells) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.append(cell);
  }
  const actions = document.createElement('td');
  if (!session.current) {
    const revoke = document.createElement('button');
    revoke.type = 'button';
    revoke.className = 'revoke';
    revoke.textContent = 'Revoke';
    revoke.addEventListener('click', () => run(async () => {
      await api.revokeSession(session.id);
      showStatus('Session revoked.');
    }));
    actions.append(revoke);
  }
  row.append(actions);
  return row;
}

/** Asks the server who we are: after a reload the cookie is all there is. */
async function refresh() {
  const me = await api.me();
  if (me) render('signed-in', me, await api.mySessions());
  else render('signed-out');
}

/** Runs an action, then shows the server's view of things; errors go to the status line. */
async function run(action) {
  document.body.dataset.busy = 'true';
  try {
    await action();
  } catch (error) {
    showStatus(error.message, { error: true });
  } finally {
    try {
      await refresh();
    } catch (error) {
      render('unreachable');
      showStatus(`Cannot reach the API at ${API_URL} (is this page's origin in its CORS_ORIGINS?): ${error.message}`, { error: true });
    }
    delete document.body.dataset.busy;
  }
}

function formValues(form) {
  return Object.fromEntries([...new FormData(form)].filter(([, value]) => value !== ''));
}

$('#api-url').textContent = API_URL;
$('#signup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    await api.signUp(formValues(event.target));
    event.target.reset();
    showStatus('Welcome!');
  });
});
$('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    await api.login(formValues(event.target));
    event.target.reset();
    showStatus('Signed in.');
  });
});
$('#forgot-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    await api.requestPasswordReset(formValues(event.target).email ?? '');
    event.target.reset();
    showStatus('If an account has this address, a reset link is on its way.');
  });
});
$('#resend-verification').addEventListener('click', () => run(async () => {
  await api.requestEmailVerification();
  showStatus('A new verification link is on its way.');
}));
$('#refresh').addEventListener('click', () => run(async () => showStatus('')));
$('#revoke-others').addEventListener('click', () => run(async () => showStatus(`Signed out ${await api.revokeOtherSessions()} other session(s).`)));
$('#logout').addEventListener('click', () => run(async () => {
  await api.logout();
  showStatus('Signed out.');
}));

run(async () => {});
