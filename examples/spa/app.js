// A sessionql client in plain JavaScript: no framework, no bundler, no token handling.
//
// The page is served from its own origin (e.g. http://127.0.0.1:5173) and talks to the API on
// another one, which must list this origin in CORS_ORIGINS. The session is an HttpOnly cookie
// that the browser keeps and sends (`credentials: 'include'`); this code never sees it.
// The API's address comes from `?api=…`, e.g. index.html?api=http://127.0.0.1:4000/graphql

const API_URL = new URL(location.href).searchParams.get('api') ?? 'http://127.0.0.1:4000/graphql';

const USER_FIELDS = 'id email displayName roles';
const SESSION_FIELDS = 'id current transport createdAt lastSeenAt expiresAt ipAddress userAgent';

class GraphQLRequestError extends Error {
  constructor(errors) {
    super(errors.map((error) => error.message).join(' '));
    this.codes = errors.map((error) => error.extensions?.code);
  }
}

/** One GraphQL request with the session cookie; throws on GraphQL errors. */
async function graphql(query, variables = {}) {
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

const api = {
  me: async () => (await graphql(`{ me { ${USER_FIELDS} } }`)).me,
  mySessions: async () => (await graphql(`{ mySessions { ${SESSION_FIELDS} } }`)).mySessions,
  signUp: (input) => graphql(`mutation ($input: SignUpInput!) { signUp(input: $input) { user { ${USER_FIELDS} } } }`, { input }),
  login: (input) => graphql(`mutation ($input: LoginInput!) { login(input: $input) { user { ${USER_FIELDS} } } }`, { input }),
  logout: async () => (await graphql('mutation { logout }')).logout,
  revokeSession: async (id) => (await graphql('mutation ($id: ID!) { revokeSession(id: $id) }', { id })).revokeSession,
  revokeOtherSessions: async () => (await graphql('mutation { revokeOtherSessions }')).revokeOtherSessions,
};

const $ = (selector) => document.querySelector(selector);

function showStatus(message, { error = false } = {}) {
  $('#status').textContent = message;
  $('#status').classList.toggle('error', error);
}

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
$('#refresh').addEventListener('click', () => run(async () => showStatus('')));
$('#revoke-others').addEventListener('click', () => run(async () => showStatus(`Signed out ${await api.revokeOtherSessions()} other session(s).`)));
$('#logout').addEventListener('click', () => run(async () => {
  await api.logout();
  showStatus('Signed out.');
}));

run(async () => {});
