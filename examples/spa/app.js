// A sessionql client in plain JavaScript: no framework, no bundler, no token handling; the
// requests are @sessionql/client's typed documents (see api.js).
// The main page: sign up, log in (with a second factor when it is on), forgotten password,
// the signed-in user, two-factor settings and their sessions.

import { $, api, API_URL, showStatus } from './api.js';
import {
  BeginTotpEnrollmentDocument,
  ConfirmTotpEnrollmentDocument,
  DisableTotpDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  MySessionsDocument,
  RegenerateRecoveryCodesDocument,
  RequestEmailVerificationDocument,
  RequestPasswordResetDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
  SignUpDocument,
  StepUpDocument,
  VerifySecondFactorDocument,
} from './vendor/sessionql-client.js';

/** An action refused with STEP_UP_REQUIRED, to run again once the step-up form succeeds. */
let awaitingStepUp = null;

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
  $('#second-factor').hidden = state !== 'second-factor';
  $('#signed-in').hidden = state !== 'signed-in';
  if (state !== 'signed-in') {
    for (const panel of ['#enrollment', '#recovery-codes-panel', '#step-up-form']) $(panel).hidden = true;
  }
  if (!me) return;
  $('#pending-email').textContent = me.email;
  if (state !== 'signed-in') return;
  $('#me-name').textContent = me.displayName;
  $('#me-email').textContent = me.email;
  $('#me-verified').textContent = me.emailVerified ? 'verified' : 'not verified yet';
  $('#resend-verification').hidden = me.emailVerified;
  $('#me-id').textContent = me.id;
  $('#me-roles').textContent = me.roles.join(', ');
  $('#me-two-factor').textContent = me.twoFactorEnabled ? 'on' : 'off';
  $('#enable-two-factor').hidden = me.twoFactorEnabled || !$('#enrollment').hidden;
  $('#regenerate-recovery-codes').hidden = !me.twoFactorEnabled;
  $('#disable-two-factor-form').hidden = !me.twoFactorEnabled;
  $('#sessions').replaceChildren(...sessions.map(sessionRow));
}

/** The secret as a QR code: the server draws it (no third-party service sees the secret); the page shows it as an image. */
function showEnrollment({ secret, qrCodeSvg }) {
  $('#totp-qr').src = `data:image/svg+xml;base64,${btoa(qrCodeSvg)}`;
  $('#totp-secret').textContent = secret;
  $('#enrollment').hidden = false;
  $('#recovery-codes-panel').hidden = true;
}

function showRecoveryCodes(codes) {
  $('#recovery-codes').replaceChildren(
    ...codes.map((code) => {
      const item = document.createElement('li');
      item.textContent = code;
      return item;
    }),
  );
  $('#recovery-codes-panel').hidden = false;
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
    session.aal === 2 ? 'password + code' : 'password',
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
      await api.request(RevokeSessionDocument, { id: session.id });
      showStatus('Session revoked.');
    }));
    actions.append(revoke);
  }
  row.append(actions);
  return row;
}

/**
 * Asks the server who we are: after a reload the cookie is all there is. A sign-in that still
 * waits for its second factor answers `me`, and SECOND_FACTOR_REQUIRED to everything else.
 */
async function refresh() {
  const { me } = await api.request(MeDocument);
  if (!me) return render('signed-out');
  try {
    render('signed-in', me, (await api.request(MySessionsDocument)).mySessions);
  } catch (error) {
    if (!error.codes?.includes('SECOND_FACTOR_REQUIRED')) throw error;
    render('second-factor', me);
  }
}

/** Runs an action, then shows the server's view of things; errors go to the status line. */
async function run(action) {
  document.body.dataset.busy = 'true';
  try {
    await action();
  } catch (error) {
    showStatus(error.message, { error: true });
    if (error.codes?.includes('STEP_UP_REQUIRED')) {
      awaitingStepUp = action;
      $('#step-up-form').hidden = false;
    }
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
    await api.request(SignUpDocument, { input: formValues(event.target) });
    event.target.reset();
    showStatus('Welcome!');
  });
});
$('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    await api.request(LoginDocument, { input: formValues(event.target) });
    event.target.reset();
    showStatus('Signed in.');
  });
});
$('#second-factor-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    await api.request(VerifySecondFactorDocument, { code: formValues(event.target).code ?? '' });
    event.target.reset();
    showStatus('Signed in.');
  });
});
$('#cancel-second-factor').addEventListener('click', () => run(async () => {
  await api.request(LogoutDocument);
  showStatus('Signed out.');
}));
$('#step-up-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    await api.request(StepUpDocument, { input: formValues(event.target) });
    event.target.reset();
    event.target.hidden = true;
    const retry = awaitingStepUp;
    awaitingStepUp = null;
    showStatus('Confirmed.');
    if (retry) await retry();
  });
});
$('#enable-two-factor').addEventListener('click', () => run(async () => {
  showEnrollment((await api.request(BeginTotpEnrollmentDocument)).beginTotpEnrollment);
  showStatus('Scan the code, then enter the code your app shows.');
}));
$('#enrollment-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    const codes = (await api.request(ConfirmTotpEnrollmentDocument, { code: formValues(event.target).code ?? '' })).confirmTotpEnrollment;
    event.target.reset();
    $('#enrollment').hidden = true;
    showRecoveryCodes(codes);
    showStatus('Two-factor authentication is on.');
  });
});
$('#regenerate-recovery-codes').addEventListener('click', () => run(async () => {
  showRecoveryCodes((await api.request(RegenerateRecoveryCodesDocument)).regenerateRecoveryCodes);
  showStatus('New recovery codes: the old ones no longer work.');
}));
$('#disable-two-factor-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    await api.request(DisableTotpDocument, { code: formValues(event.target).code ?? '' });
    event.target.reset();
    $('#recovery-codes-panel').hidden = true;
    showStatus('Two-factor authentication is off.');
  });
});
$('#forgot-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    await api.request(RequestPasswordResetDocument, { email: formValues(event.target).email ?? '' });
    event.target.reset();
    showStatus('If an account has this address, a reset link is on its way.');
  });
});
$('#resend-verification').addEventListener('click', () => run(async () => {
  await api.request(RequestEmailVerificationDocument);
  showStatus('A new verification link is on its way.');
}));
$('#refresh').addEventListener('click', () => run(async () => showStatus('')));
$('#revoke-others').addEventListener('click', () => run(async () => showStatus(`Signed out ${(await api.request(RevokeOtherSessionsDocument)).revokeOtherSessions} other session(s).`)));
$('#logout').addEventListener('click', () => run(async () => {
  await api.request(LogoutDocument);
  showStatus('Signed out.');
}));

run(async () => {});
