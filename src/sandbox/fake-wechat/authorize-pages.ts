// The two web pages WeChat shows a browser: /connect/oauth2/authorize (a page opened inside WeChat, for
// an official account) and /connect/qrconnect (a desktop website's QR code). Once the person approves,
// the browser is sent back to redirect_uri?code=…&state=…. A sandbox-only `person` query parameter
// says who approved: with it, the answer is that redirect at once (what tests and scripts use). Without
// it, a browser (Accept: text/html) gets a page to approve on (authorize-page.html.ts), whose forms
// come back with `person`; any other client is redirected at once as a new anonymous person.
import { peopleToOffer } from '../sandbox-people';
import { officialAccountPage, websitePage } from './authorize-page.html';
import type { Answer } from './fake-wechat.http';
import type { FakeWechatState } from './fake-wechat.state';
import type { AppRecord, FakePage, WechatChannel } from './fake-wechat.types';
import type { WechatUserSide } from './user-side';

export interface PageAnswer {
  answer: Answer;
  appid?: string;
  result: string;
}

/** How the page was asked for. */
export interface PageRequest {
  /** Accept names text/html: a person's browser, shown the approval page. */
  browser: boolean;
  /** The page's own absolute URL, as the browser sees it (for the website's QR code). */
  selfUrl: string;
}

export interface AuthorizePage {
  page: FakePage;
  path: string;
  answer(query: URLSearchParams, request: PageRequest): Promise<PageAnswer>;
}

interface PageRules {
  page: FakePage;
  path: string;
  channel: WechatChannel;
  scopes: readonly string[];
  // What WeChat's page says for each bad parameter.
  messages: { appid: string; channel: string; redirectUri: string; scope: string; responseType: string; state: string };
}

const PAGES: readonly PageRules[] = [
  {
    page: 'oauth2_authorize',
    path: '/connect/oauth2/authorize',
    channel: 'official_account',
    scopes: ['snsapi_userinfo', 'snsapi_base'],
    messages: {
      appid: 'appid 参数错误',
      channel: '10016 不支持微信开放平台的Appid，请使用公众号Appid',
      redirectUri: '10003 redirect_uri域名与后台配置不一致',
      scope: '10005 此公众号并没有这些scope的权限',
      responseType: 'response_type 参数错误',
      state: 'state 参数错误',
    },
  },
  {
    page: 'qrconnect',
    path: '/connect/qrconnect',
    channel: 'website',
    scopes: ['snsapi_login'],
    messages: {
      appid: 'AppID 参数错误',
      channel: 'AppID 参数错误',
      redirectUri: 'redirect_uri 参数错误',
      scope: 'Scope 参数错误或没有 Scope 权限',
      responseType: 'response_type 参数错误',
      state: 'state 参数错误',
    },
  },
];

const MAX_STATE_BYTES = 128;

export function authorizePages(state: FakeWechatState, user: WechatUserSide): AuthorizePage[] {
  return PAGES.map((rules) => ({
    page: rules.page,
    path: rules.path,
    answer: async (q: URLSearchParams, request: PageRequest): Promise<PageAnswer> => {
      const appid = q.get('appid') ?? undefined;
      const refuse = (message: string): PageAnswer => ({ answer: errorPage(message), appid, result: 'page:400' });
      const app = state.app(appid);
      if (!app) return refuse(rules.messages.appid);
      if (app.channel !== rules.channel) return refuse(rules.messages.channel);
      const redirect = allowedRedirect(app, q.get('redirect_uri'));
      if (!redirect) return refuse(rules.messages.redirectUri);
      if (q.get('response_type') !== 'code') return refuse(rules.messages.responseType);
      const scope = q.get('scope') ?? '';
      if (!rules.scopes.includes(scope)) return refuse(rules.messages.scope);
      const stateParam = q.get('state') ?? '';
      if (Buffer.byteLength(stateParam) > MAX_STATE_BYTES) return refuse(rules.messages.state);

      const person = q.get('person') || undefined;
      if (!person && request.browser) {
        const page = {
          app,
          scope,
          query: q,
          people: peopleToOffer(state.persons.keys()),
          selfUrl: request.selfUrl,
          redirectTo: redirect,
        };
        const body = rules.channel === 'website' ? await websitePage(page) : officialAccountPage(page);
        return { answer: { status: 200, contentType: 'text/html; charset=utf-8', body }, appid, result: 'page' };
      }
      const { code } = user.authorize({ appid: app.appId, person, scope });
      redirect.searchParams.append('code', code);
      redirect.searchParams.append('state', stateParam);
      return {
        answer: { status: 302, body: '', contentType: 'text/html; charset=utf-8', location: redirect.toString() },
        appid,
        result: 'redirect',
      };
    },
  }));
}

// redirect_uri must be an http(s) URL whose host is one of the app's callback domains or under one.
function allowedRedirect(app: AppRecord, raw: string | null): URL | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const domains = app.redirectDomains;
  if (!domains || domains.length === 0) return url;
  const ok = domains.some((entry) => {
    const domain = callbackDomain(entry);
    // An entry with a port must match host:port; one without matches any port.
    const host = domain.includes(':') ? url.host : url.hostname;
    return host === domain || host.endsWith(`.${domain}`);
  });
  return ok ? url : undefined;
}

// A registered domain is a bare host ("h5.example.com", "localhost:8080"); a URL given instead counts by its host.
function callbackDomain(entry: string): string {
  const lower = entry.toLowerCase();
  if (!/^https?:\/\//.test(lower)) return lower;
  try {
    return new URL(lower).host;
  } catch {
    return lower;
  }
}

function errorPage(message: string): Answer {
  const escaped = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return {
    status: 400,
    contentType: 'text/html; charset=utf-8',
    body: `<!DOCTYPE html><html><head><meta charset="utf-8"><title>微信登录</title></head><body><div class="weui-msg"><h2 class="weui-msg__title">${escaped}</h2></div></body></html>`,
  };
}
