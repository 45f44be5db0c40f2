// GET / of the fake WeChat (/sandbox/wechat in the service): what it is, its apps, the people it knows
// and its endpoints; an HTML page for a browser, the same as JSON for anything else.
import { escapeHtml, htmlPage } from '../pages/html';
import { fakeSection } from '../pages/fake-section';
import { peopleToOffer } from '../sandbox-people';
import type { Answer } from './fake-wechat.http';
import { WECHAT_FAKE } from './fake-wechat.doc';
import type { FakeWechatState } from './fake-wechat.state';

export function indexAnswer(state: FakeWechatState, base: string, browser: boolean): Answer {
  const apps = state.appList();
  const people = peopleToOffer(state.persons.keys(), 50);
  if (!browser) {
    const body = { name: WECHAT_FAKE.name, apps, people, sandbox: WECHAT_FAKE.sandbox, provider: WECHAT_FAKE.provider };
    return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
  }
  const appRows = apps
    .map(
      (a) =>
        `<tr><td><code>${escapeHtml(a.appId)}</code></td><td>${escapeHtml(a.channel)}</td><td>${a.openPlatform ? 'yes (unionid)' : 'no (openid only)'}</td></tr>`,
    )
    .join('');
  const apps_ = `<h3>Apps</h3><table><tr><th>AppID</th><th>channel</th><th>Open Platform</th></tr>${appRows}</table>
<h3>People</h3><p>${people.map((p) => `<code>${escapeHtml(p)}</code>`).join(' ')}: pass one as <code>person</code>; any other label is a new person (the same label is the same human on every app).</p>
<p class="note">Web logins: call <code>startWechatLogin(channel: OFFICIAL_ACCOUNT | WEBSITE, redirectUri: …)</code> and open its <code>authorizeUrl</code> in a browser: the page asks who approves. Scripts add <code>&amp;person=zhang</code> and get the redirect at once.</p>`;
  return {
    status: 200,
    contentType: 'text/html; charset=utf-8',
    body: htmlPage('Fake WeChat · sandbox', fakeSection(WECHAT_FAKE, base, apps_)),
  };
}
