// What a browser sees on the fake WeChat's two web pages: the official account's consent page (pick
// who you are, "Allow") and the website's QR page (a QR code, "Approve as <person>" buttons standing
// in for the phone that scans it). Both submit back to the same page with `person`, which answers
// with WeChat's redirect to redirect_uri?code=…&state=….
import { escapeHtml, htmlPage } from '../pages/html';
import type { AppRecord } from './fake-wechat.types';

// qrcode is required when a page first draws one, not when the sandbox starts.
const qrSvg = (text: string, options: import('qrcode').QRCodeToStringOptions): Promise<string> =>
  (require('qrcode') as typeof import('qrcode')).toString(text, options);

export interface ApprovalPageInput {
  app: AppRecord;
  scope: string;
  /** The page's query, carried over by the forms (all but `person`). */
  query: URLSearchParams;
  /** Who may approve: the sandbox's people and whoever the fake has met. */
  people: string[];
  /** The page's own absolute URL: the QR code holds it, with `person` set to the first person. */
  selfUrl: string;
  /** Where the browser will be sent (its origin and path only, shown to the person). */
  redirectTo: URL;
}

const SCOPE_TEXT: Record<string, string> = {
  snsapi_userinfo: 'asks for your public profile (nickname, avatar)',
  snsapi_base: 'asks for your openid only (real WeChat shows no page for snsapi_base: it redirects at once)',
  snsapi_login: 'asks you to log in to its website with your WeChat account',
};

function hiddenInputs(query: URLSearchParams): string {
  return [...query.entries()]
    .filter(([name]) => name !== 'person')
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
}

function about(input: ApprovalPageInput): string {
  const back = `${input.redirectTo.origin}${input.redirectTo.pathname}`;
  return `<p>AppID <code>${escapeHtml(input.app.appId)}</code> ${escapeHtml(SCOPE_TEXT[input.scope] ?? `asks for ${input.scope}`)}.</p>
<p class="note">On approval you go back to <code>${escapeHtml(back)}</code> with <code>code</code> and <code>state</code>.</p>`;
}

// Another label than the ones offered: any text names a person.
function otherPersonForm(query: URLSearchParams, button: string): string {
  return `<form method="get" class="other">${hiddenInputs(query)}<label>Another person: <input name="person" required maxlength="64" placeholder="any label"></label> <button type="submit">${escapeHtml(button)}</button></form>`;
}

export function officialAccountPage(input: ApprovalPageInput): string {
  const options = input.people
    .map((label) => `<option value="${escapeHtml(label)}">${escapeHtml(label)}</option>`)
    .join('');
  return htmlPage(
    '微信授权 · WeChat authorization',
    `<h1>微信授权 · WeChat authorization</h1>${about(input)}
<form method="get" class="approve">${hiddenInputs(input.query)}<label>You are <select name="person">${options}</select></label>
<button type="submit">允许 Allow</button></form>
${otherPersonForm(input.query, 'Allow')}
<p class="note">Refusing is closing the page: WeChat does not redirect then.</p>`,
  );
}

export async function websitePage(input: ApprovalPageInput): Promise<string> {
  const approveUrl = new URL(input.selfUrl);
  approveUrl.searchParams.set('person', input.people[0] ?? 'zhang');
  const svg = await qrSvg(approveUrl.toString(), { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
  const qr = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  const buttons = input.people
    .map(
      (label) =>
        `<button type="submit" name="person" value="${escapeHtml(label)}">Approve as ${escapeHtml(label)}</button>`,
    )
    .join('');
  return htmlPage(
    '微信登录 · Log in with WeChat',
    `<h1>微信登录 · Log in with WeChat</h1>
<p>Scan with WeChat to log in.</p>
<img class="qrcode" alt="QR code" width="240" height="240" src="${qr}">
${about(input)}
<p class="note">In the sandbox no phone scans it: a button below is the person scanning and approving.
The code holds this page's approve link for ${escapeHtml(input.people[0] ?? 'zhang')}.</p>
<form method="get" class="approve">${hiddenInputs(input.query)}${buttons}</form>
${otherPersonForm(input.query, 'Approve')}`,
  );
}
