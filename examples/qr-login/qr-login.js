// The page's side of QR login (docs/qr-login.md): start, show the code, poll, collect the session once.
// qrcode-generator draws the code; ./vendor/qrcode.mjs is its dist/qrcode.mjs (serve.js serves it).
import qrcode from './vendor/qrcode.mjs';

const params = new URLSearchParams(location.search);
const service = params.get('service') ?? location.origin; // the login service, e.g. http://127.0.0.1:3000
const intervalMs = Number(params.get('interval') ?? 1500);
const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const deviceId = localStorage.getItem('qr-demo.device-id') ?? crypto.randomUUID();
localStorage.setItem('qr-demo.device-id', deviceId);

async function gql(query, variables) {
  const res = await fetch(`${service}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw Object.assign(new Error(body.errors[0].message), body.errors[0].extensions);
  return body.data;
}

function show(text, state) {
  $('status').textContent = text;
  document.body.dataset.state = state;
}

function draw(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const cell = 6;
  const quiet = 4; // modules of white around the code, which scanners need
  const canvas = $('qr');
  canvas.width = canvas.height = (qr.getModuleCount() + 2 * quiet) * cell;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.translate(quiet * cell, quiet * cell);
  qr.renderTo2dContext(ctx, cell);
  canvas.hidden = false;
}

async function login() {
  $('again').hidden = true;
  const { startQrLogin: qr } = await gql(
    'mutation ($deviceId: String) { startQrLogin(deviceId: $deviceId) { id qrContent pollToken expiresAt } }',
    { deviceId },
  );
  draw(qr.qrContent);
  show('Scan this code with the app to log in.', 'waiting');
  for (;;) {
    await sleep(intervalMs);
    const { qrLoginStatus: state } = await gql(
      'query ($id: ID!, $pollToken: String!) { qrLoginStatus(id: $id, pollToken: $pollToken) { status bindTicket session { accessToken refreshToken user { id } } } }',
      { id: qr.id, pollToken: qr.pollToken },
    );
    if (state.session) {
      // A real page hands the tokens to its session store (the SDK's LoginClient does it for you).
      sessionStorage.setItem('qr-demo.session', JSON.stringify(state.session));
      $('qr').hidden = true;
      show(`Signed in as ${state.session.user.id}`, 'signed-in');
      return;
    }
    if (state.bindTicket) return show('New here: bind a phone number to finish.', 'bind-phone');
    if (state.status === 'SCANNED') show('Scanned. Confirm on your phone.', 'scanned');
    if (state.status === 'CANCELLED' || state.status === 'EXPIRED' || state.status === 'CONFIRMED') {
      $('qr').hidden = true;
      $('again').hidden = false;
      return show(state.status === 'EXPIRED' ? 'The code expired.' : 'Login cancelled.', state.status.toLowerCase());
    }
  }
}

$('again').addEventListener('click', () => login().catch((e) => show(`Error: ${e.code ?? e.message}`, 'error')));
login().catch((e) => show(`Error: ${e.code ?? e.message}`, 'error'));
