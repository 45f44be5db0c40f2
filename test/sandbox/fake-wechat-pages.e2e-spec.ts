import { toString as qrSvg } from 'qrcode';
import { FakeWechatServer, openidFor } from '../../src/sandbox/fake-wechat/fake-wechat';

// The fake WeChat's pages as a person's browser sees them (Accept: text/html): the official account's
// consent page and the website's QR page, both approving through a form that comes back with
// `person`; and the fake's index page. Scripts (no text/html, or `person` given) still get the redirect
// at once: fake-wechat-web.e2e-spec.ts covers that side.

const OFFICIAL = {
  appId: 'wxoa0000000000001',
  secret: 'oasecret00000000000000000000001',
  channel: 'official_account' as const,
};
const WEBSITE = { appId: 'wxweb000000000001', secret: 'websecret0000000000000000000001', channel: 'website' as const };
const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

let fake: FakeWechatServer;
let base = '';

beforeAll(async () => {
  fake = new FakeWechatServer({ apps: [OFFICIAL, WEBSITE] });
  base = await fake.listen(0);
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => fake.reset());

function pageUrl(path: string, params: Record<string, string>): string {
  return `${base}${path}?${new URLSearchParams(params).toString()}`;
}

const OFFICIAL_QUERY = {
  appid: OFFICIAL.appId,
  redirect_uri: 'http://localhost:5173/cb',
  response_type: 'code',
  scope: 'snsapi_userinfo',
  state: 'st-oa',
};
const WEBSITE_QUERY = { ...OFFICIAL_QUERY, appid: WEBSITE.appId, scope: 'snsapi_login', state: 'st-web' };

/** The values of the hidden inputs of the first form: what the approval carries back. */
function hiddenFields(html: string): Record<string, string> {
  const form = html.slice(html.indexOf('<form'), html.indexOf('</form>'));
  const fields: Record<string, string> = {};
  for (const [, name, value] of form.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[name] = value.replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c)));
  }
  return fields;
}

async function exchange(app: { appId: string; secret: string }, code: string): Promise<Record<string, unknown>> {
  const url = pageUrl('/sns/oauth2/access_token', {
    appid: app.appId,
    secret: app.secret,
    code,
    grant_type: 'authorization_code',
  });
  return (await (await fetch(url)).json()) as Record<string, unknown>;
}

describe('the official account page in a browser', () => {
  it('asks who approves, issues nothing until then, and then redirects with code and state', async () => {
    await fetch(`${base}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appid: OFFICIAL.appId, person: 'olga' }),
    });
    const secretsBefore = fake.issuedSecrets().length;
    const res = await fetch(pageUrl('/connect/oauth2/authorize', OFFICIAL_QUERY), {
      headers: BROWSER,
      redirect: 'manual',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('允许 Allow');
    // The sandbox's cast, then the people the fake has met.
    for (const person of ['zhang', 'li', 'ann', 'olga']) expect(html).toContain(`<option value="${person}">`);
    expect(html).toContain('http://localhost:5173/cb');
    expect(fake.issuedSecrets()).toHaveLength(secretsBefore);
    expect(fake.calls('oauth2_authorize').map((c) => c.result)).toEqual(['page']);

    // The form: the same page with every parameter and the person chosen.
    const fields = hiddenFields(html);
    expect(fields).toEqual(OFFICIAL_QUERY);
    const approved = await fetch(pageUrl('/connect/oauth2/authorize', { ...fields, person: 'olga' }), {
      headers: BROWSER,
      redirect: 'manual',
    });
    expect(approved.status).toBe(302);
    const back = new URL(approved.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe('http://localhost:5173/cb');
    expect(back.searchParams.get('state')).toBe('st-oa');
    const tokens = await exchange(OFFICIAL, back.searchParams.get('code')!);
    expect(tokens.openid).toBe(openidFor(OFFICIAL.appId, 'olga'));
  });

  it('escapes what it carries back', async () => {
    const state = '"><script>alert(1)</script>';
    const res = await fetch(pageUrl('/connect/oauth2/authorize', { ...OFFICIAL_QUERY, state }), { headers: BROWSER });
    const html = await res.text();
    expect(html).not.toContain('<script>');
    expect(hiddenFields(html).state).toBe(state);
  });

  it('still answers bad parameters with WeChat’s error page, not a consent page', async () => {
    const res = await fetch(pageUrl('/connect/oauth2/authorize', { ...OFFICIAL_QUERY, appid: WEBSITE.appId }), {
      headers: BROWSER,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('10016');
  });

  it('redirects at once, as a new person, a client that does not ask for HTML', async () => {
    const res = await fetch(pageUrl('/connect/oauth2/authorize', OFFICIAL_QUERY), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('the website QR page in a browser', () => {
  it('shows a QR code of its approve link and one Approve button per person', async () => {
    const url = pageUrl('/connect/qrconnect', WEBSITE_QUERY);
    const res = await fetch(url, { headers: BROWSER, redirect: 'manual' });
    expect(res.status).toBe(200);
    const html = await res.text();
    const src = /<img class="qrcode" alt="QR code" [^>]*src="data:image\/svg\+xml;base64,([^"]+)">/.exec(html);
    expect(src).not.toBeNull();
    // The same QR as the approve link for the first person drawn by the library.
    const expected = await qrSvg(`${url}&person=zhang`, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
    expect(Buffer.from(src![1], 'base64').toString('utf8')).toBe(expected);
    for (const person of ['zhang', 'li', 'han']) {
      expect(html).toContain(`<button type="submit" name="person" value="${person}">Approve as ${person}</button>`);
    }
    expect(hiddenFields(html)).toEqual(WEBSITE_QUERY);
    expect(fake.issuedSecrets()).toEqual([]);

    const approved = await fetch(`${url}&person=li`, { headers: BROWSER, redirect: 'manual' });
    const back = new URL(approved.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('st-web');
    const tokens = await exchange(WEBSITE, back.searchParams.get('code')!);
    expect(tokens).toEqual(expect.objectContaining({ openid: openidFor(WEBSITE.appId, 'li'), scope: 'snsapi_login' }));
  });
});

describe('the index page', () => {
  it('shows a browser the apps, the people and the endpoints', async () => {
    const res = await fetch(`${base}/`, { headers: BROWSER });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Fake WeChat');
    expect(html).toContain(OFFICIAL.appId);
    expect(html).toContain('/connect/qrconnect');
    expect(html).toContain('/miniprogram/login');
    expect(html).toContain('<code>zhang</code>');
  });

  it('answers a script with the same as JSON', async () => {
    const body = (await (await fetch(`${base}/`)).json()) as Record<string, unknown>;
    expect(body.apps).toEqual([
      { appId: OFFICIAL.appId, channel: 'official_account', openPlatform: true },
      { appId: WEBSITE.appId, channel: 'website', openPlatform: true },
    ]);
    expect(body.people).toEqual(expect.arrayContaining(['zhang', 'li']));
    expect(body.sandbox).toEqual(
      expect.arrayContaining([expect.objectContaining({ method: 'POST', path: '/authorize' })]),
    );
  });
});
