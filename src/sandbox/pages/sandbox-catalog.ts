// Every fake the sandbox mounts, where, and what each endpoint is for: one list for the /sandbox page,
// the fake WeChat's index page and the start-up banner (docs/sandbox.md has the full rules).
import { APPLE_FAKE_PATH } from '../../providers/apple/apple.client';
import { CARRIER_FAKE_PATH } from '../../providers/carrier/carrier.client';
import { ALIPAY_FAKE_PATH } from '../../providers/alipay/alipay.client';
import { HUAWEI_FAKE_PATH } from '../../providers/huawei/huawei.client';
import { QQ_FAKE_PATH } from '../../providers/qq/qq.client';
import { WECHAT_FAKE } from '../fake-wechat/fake-wechat.doc';
import type { EndpointDoc, FakeDoc } from './fake-doc';

export { WECHAT_FAKE };
export type { EndpointDoc, FakeDoc };

// What every provider fake (fake-kit/) answers besides its own paths.
const KIT_CONTROLS: EndpointDoc[] = [
  {
    method: 'POST',
    path: '/faults',
    what: '{endpoint, error? | httpStatus? | drop? | malformed?, delayMs?, times}: fail the next calls',
  },
  { method: 'DELETE', path: '/faults', what: 'clear the faults' },
  { method: 'GET', path: '/calls', what: '?path=… what the fake received (never a token)' },
  { method: 'POST', path: '/reset', what: 'forget everything' },
];

export const PROVIDER_FAKES: FakeDoc[] = [
  {
    name: 'Fake Apple',
    mount: APPLE_FAKE_PATH,
    summary: 'POST /authorize → identityToken, authorizationCode',
    provider: [
      { method: 'GET', path: '/auth/keys', what: "Apple's signing keys (JWKS)" },
      { method: 'POST', path: '/auth/token', what: 'authorization code → tokens (checks our client_secret JWT)' },
      { method: 'POST', path: '/auth/revoke', what: 'revoke a token (account deletion, unlink)' },
    ],
    sandbox: [
      {
        method: 'POST',
        path: '/authorize',
        what: '{person?, nonce?, email?, bundleId?} → {identityToken, authorizationCode, sub}',
      },
      { method: 'GET', path: '/revocations', what: 'what was revoked' },
      ...KIT_CONTROLS,
    ],
  },
  {
    name: 'Fake Huawei',
    mount: HUAWEI_FAKE_PATH,
    summary: 'POST /authorize → authorizationCode',
    provider: [
      { method: 'POST', path: '/oauth2/v3/token', what: 'authorization code → tokens, id_token' },
      { method: 'GET', path: '/oauth2/v3/certs', what: "Huawei's signing keys (JWKS)" },
      { method: 'POST', path: '/rest.php?nsp_svc=GOpen.User.getInfo', what: 'user info (phone, when granted)' },
    ],
    sandbox: [
      { method: 'POST', path: '/authorize', what: '{person?, phone?} → {authorizationCode, openId, unionId}' },
      ...KIT_CONTROLS,
    ],
  },
  {
    name: 'Fake carrier',
    mount: CARRIER_FAKE_PATH,
    summary: 'POST /token → one-tap token for a phone',
    provider: [{ method: 'POST', path: '/?AccessToken=…', what: 'GetMobile (Alibaba Cloud Dypnsapi, V3 signature)' }],
    sandbox: [
      { method: 'POST', path: '/token', what: '{phone, carrier?: CMCC|CUCC|CTCC} → {token, expiresInSeconds}' },
      ...KIT_CONTROLS,
    ],
  },
  {
    name: 'Fake QQ',
    mount: QQ_FAKE_PATH,
    summary: 'POST /authorize → the QQ SDK access token (and, with a state, the web code)',
    provider: [
      { method: 'GET', path: '/oauth2.0/authorize', what: 'the web login page: 302 back with code and state' },
      { method: 'GET', path: '/oauth2.0/token', what: 'web code → access token (our website app key)' },
      { method: 'GET', path: '/oauth2.0/me', what: 'access token → {client_id, openid, unionid}' },
      { method: 'GET', path: '/user/get_user_info', what: 'nickname and avatar' },
    ],
    sandbox: [
      {
        method: 'POST',
        path: '/authorize',
        what: '{person?, state?, appId?, redirectUri?} → {accessToken, openid, unionid, code?}',
      },
      ...KIT_CONTROLS,
    ],
  },
  {
    name: 'Fake Alipay',
    mount: ALIPAY_FAKE_PATH,
    summary: 'POST /authorize → authCode',
    provider: [
      {
        method: 'POST',
        path: '/gateway.do',
        what: 'alipay.system.oauth.token and alipay.user.info.share (RSA2-signed both ways)',
      },
    ],
    sandbox: [
      { method: 'POST', path: '/authorize', what: '{person?, appId?} → {authCode, userId, openId}' },
      ...KIT_CONTROLS,
    ],
  },
];

/** The sandbox's own endpoints (not a provider's). */
export const SANDBOX_TOOLS: EndpointDoc[] = [
  { method: 'GET', path: '/sandbox/sms/outbox', what: '?phone=… the SMS codes "sent", newest first' },
  {
    method: 'POST',
    path: '/sandbox/captcha/solve',
    what: 'a solved captcha → {captchaToken} (when CAPTCHA_PROVIDER=sandbox)',
  },
  { method: 'POST', path: '/sandbox/clock', what: '{advanceSeconds}: move the service and every fake forward' },
  {
    method: 'GET',
    path: '/sandbox/webhooks/received',
    what: 'webhooks delivered here while WEBHOOK_URL is unset: {deliveries: [{id, type, data, verified, at}]}',
  },
];
