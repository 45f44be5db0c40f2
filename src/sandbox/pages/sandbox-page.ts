// GET /sandbox: every fake, its endpoints, the sandbox's people and the walk-throughs, on one page
// (or as JSON for a script).
import type { WechatChannel } from '../fake-wechat/fake-wechat.types';
import { SANDBOX_PEOPLE } from '../sandbox-people';
import type { ReceivedWebhook } from '../webhooks/sandbox-webhook-inbox';
import { endpointTable, fakeSection } from './fake-section';
import { escapeHtml, htmlPage } from './html';
import { PROVIDER_FAKES, SANDBOX_TOOLS, WECHAT_FAKE } from './sandbox-catalog';

export interface SandboxPageInput {
  /** The service's own URL as the browser reached it (http://127.0.0.1:3000). */
  base: string;
  wechatApps: { appId: string; channel: WechatChannel; openPlatform: boolean }[];
  /** Labels the fake WeChat has met besides the cast. */
  metPeople: string[];
  adminPhones: string[];
  appleBundleIds: string[];
  huaweiClientId: string | null;
  sandboxCaptcha: boolean;
  /** The latest webhooks the built-in receiver got (WEBHOOK_URL unset), newest first. */
  webhooks: ReceivedWebhook[];
}

export function sandboxJson(input: SandboxPageInput): unknown {
  return {
    graphql: `${input.base}/graphql`,
    fakes: [WECHAT_FAKE, ...PROVIDER_FAKES].map((fake) => ({ ...fake, url: `${input.base}${fake.mount}` })),
    tools: SANDBOX_TOOLS.filter((t) => input.sandboxCaptcha || !t.path.includes('captcha')),
    wechatApps: input.wechatApps,
    people: SANDBOX_PEOPLE,
    metPeople: input.metPeople,
    adminPhones: input.adminPhones,
    webhooks: input.webhooks,
  };
}

function webhooksSection(webhooks: ReceivedWebhook[]): string {
  const rows = webhooks
    .map(
      (w) =>
        `<tr><td>${escapeHtml(w.at)}</td><td><code>${escapeHtml(w.type)}</code></td><td><code>${escapeHtml(JSON.stringify(w.data))}</code></td><td>${w.verified ? 'yes' : '<strong>no</strong>'}</td><td><code>${escapeHtml(w.id)}</code></td></tr>`,
    )
    .join('');
  return `<h2 id="webhooks">Webhooks received</h2>
<p>With <code>WEBHOOK_URL</code> unset, the app backend's webhooks come to this sandbox, which verifies each
signature (docs/webhooks.md); the latest, newest first (all of them: <code>GET /sandbox/webhooks/received</code>).</p>
${rows ? `<table><tr><th>at</th><th>type</th><th>data</th><th>verified</th><th>webhook-id</th></tr>${rows}</table>` : '<p>None yet: log in once.</p>'}`;
}

export function sandboxPage(input: SandboxPageInput): string {
  const { base } = input;
  const list = (values: string[]): string => values.map((v) => `<code>${escapeHtml(v)}</code>`).join(', ') || 'none';
  const people = SANDBOX_PEOPLE.map(
    (p) =>
      `<tr><td><code>${escapeHtml(p.label)}</code></td><td><code>${escapeHtml(p.phone)}</code></td><td>${escapeHtml(p.role)}</td></tr>`,
  ).join('');
  const apps = input.wechatApps
    .map((a) => `<code>${escapeHtml(a.appId)}</code> ${escapeHtml(a.channel)}${a.openPlatform ? '' : ' (openid only)'}`)
    .join('<br>');
  const wechatExtra = `<p>Apps:<br>${apps}</p><p><a href="${escapeHtml(`${base}${WECHAT_FAKE.mount}`)}">The fake WeChat's own page</a></p>`;
  const providerExtra: Record<string, string> = {
    'Fake Apple': `<p>Bundle ids: ${list(input.appleBundleIds)}</p>`,
    'Fake Huawei': `<p>Client id: ${list(input.huaweiClientId ? [input.huaweiClientId] : [])}</p>`,
  };
  const tools = SANDBOX_TOOLS.filter((t) => input.sandboxCaptcha || !t.path.includes('captcha'));
  const body = `<h1>wechat-login sandbox</h1>
<p>GraphQL: <a href="${escapeHtml(`${base}/graphql`)}">${escapeHtml(`${base}/graphql`)}</a> (the playground in a browser).
Every fake below runs in this process, on this port, on the service's clock.</p>
<ul>${[WECHAT_FAKE, ...PROVIDER_FAKES].map((f) => `<li><a href="#${f.name.toLowerCase().replace(/\W+/g, '-')}">${escapeHtml(f.name)}</a> <code>${escapeHtml(`${base}${f.mount}`)}</code>: ${escapeHtml(f.summary)}</li>`).join('')}
<li><a href="#tools">SMS outbox, captcha, clock</a></li><li><a href="#webhooks">Webhooks received</a></li><li><a href="#people">People</a></li></ul>
<h2 id="people">People</h2>
<p>A <code>person</code> label is a human: the same label is the same person on every WeChat app (one
unionid), and on Apple and Huawei. Any label works; these are the ones the docs use.</p>
<table><tr><th>person</th><th>phone</th><th>good for</th></tr>${people}</table>
<p>Also met by the fake WeChat: ${list(input.metPeople)}.</p>
<p>Admin phone${input.adminPhones.length === 1 ? '' : 's'}: ${list(input.adminPhones)} (sign in by SMS; the code is in the outbox).
One SMS code a minute per phone, whatever its purpose: after binding a phone, wait a minute (or
<code>POST /sandbox/clock</code>) before asking for a delete code.</p>
<h2 id="walk-through">A web login in a browser</h2>
<ol><li>In the playground: <code>startWechatLogin(channel: WEBSITE, redirectUri: "http://localhost:8080/cb", deviceId: "my-browser") { state authorizeUrl }</code> (or <code>OFFICIAL_ACCOUNT</code>; a web login names its device, and the code must come back with the same one).</li>
<li>Open <code>authorizeUrl</code>: the fake shows the QR page (website) or the consent page (official account); approve as a person.</li>
<li>The browser lands on <code>http://localhost:8080/cb?code=…&amp;state=…</code> (nothing needs to listen there: copy them from the address bar).</li>
<li><code>wechatLogin(input: {code, state, deviceId: "my-browser", platform: WEB})</code>: a session, or a bind ticket for a new person.</li></ol>
<p class="note">Pages on <code>http://localhost</code> or <code>http://127.0.0.1</code> (any port) may call this service directly: the sandbox allows them (CORS).</p>
${fakeSection(WECHAT_FAKE, `${base}${WECHAT_FAKE.mount}`, wechatExtra)}
${PROVIDER_FAKES.map((f) => fakeSection(f, `${base}${f.mount}`, providerExtra[f.name] ?? '')).join('\n')}
<h2 id="tools">SMS outbox, captcha, clock</h2>${endpointTable(base, tools, true)}
${webhooksSection(input.webhooks)}`;
  return htmlPage('Sandbox · wechat-login', body);
}
