// The fake WeChat's endpoints as the sandbox's pages list them (apart from the provider fakes' so that
// the fake running alone loads nothing of the service).
import type { FakeDoc } from '../pages/fake-doc';

export const WECHAT_FAKE: FakeDoc = {
  name: 'Fake WeChat',
  mount: '/sandbox/wechat',
  summary: 'app, mini program, official-account and website pages',
  provider: [
    {
      method: 'GET',
      path: '/connect/oauth2/authorize',
      what: "official account's consent page (in a browser: pick a person, Allow)",
    },
    {
      method: 'GET',
      path: '/connect/qrconnect',
      what: "website's QR page (in a browser: a QR code and Approve buttons)",
    },
    { method: 'GET', path: '/sns/oauth2/access_token', what: 'code → access_token, openid, unionid' },
    { method: 'GET', path: '/sns/oauth2/refresh_token', what: 'refresh a user grant' },
    { method: 'GET', path: '/sns/auth', what: 'is this access_token valid' },
    { method: 'GET', path: '/sns/userinfo', what: 'nickname, avatar, unionid' },
    { method: 'GET', path: '/sns/jscode2session', what: 'mini program: js code → openid, session_key' },
    { method: 'POST', path: '/cgi-bin/stable_token', what: 'app-level token' },
    { method: 'POST', path: '/wxa/business/getuserphonenumber', what: 'mini program phone button code → phone' },
  ],
  sandbox: [
    { method: 'GET', path: '/apps', what: 'the configured apps: appId, channel, openPlatform' },
    { method: 'POST', path: '/authorize', what: '{appid, state?, person?}: the person approves in the app → {code}' },
    { method: 'POST', path: '/miniprogram/login', what: '{appid, person?}: wx.login() → {code}' },
    { method: 'POST', path: '/miniprogram/phone', what: '{appid, person?, phone}: the phone button → {phoneCode}' },
    { method: 'POST', path: '/bind-open-platform', what: '{appid}: the app joins the Open Platform (late unionid)' },
    { method: 'POST', path: '/persons/reset-credentials', what: '{person}: password changed, tokens die (42007)' },
    { method: 'POST', path: '/persons/profile', what: '{person, nickname?, avatarUrl?}' },
    {
      method: 'POST',
      path: '/faults',
      what: '{endpoint, errcode? | httpStatus? | drop? | malformed?, delayMs?, times}',
    },
    { method: 'DELETE', path: '/faults', what: 'clear the faults' },
    { method: 'GET', path: '/calls', what: '?endpoint=… or ?path=… what the fake received' },
    { method: 'GET', path: '/billing', what: 'billed getuserphonenumber calls per app' },
    { method: 'GET', path: '/settings', what: 'switches (POST to change): TTLs, rotation, content type…' },
    { method: 'GET', path: '/clock', what: "the fake's time (POST /sandbox/clock moves every clock)" },
    { method: 'POST', path: '/reset', what: 'forget every person, code and token' },
  ],
};
