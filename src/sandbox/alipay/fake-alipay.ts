import {
  createHash,
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPair,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import {
  FakeClock,
  FakeInputError,
  FakeProviderServer,
  Json,
  optionalString,
  readBody,
  sendJson,
  sendText,
} from '../fake-kit';

/**
 * A fake of the Alipay Open Platform gateway (openapi.alipay.com/gateway.do), faithful to
 * shared/providers-api.md part 3 and Alipay's `alipay.system.oauth.token` / `alipay.user.info.share`
 * pages: every request must carry an RSA2 signature (sorted `key=value&…` of every parameter but
 * `sign`) that verifies with the app's public key; every answer is `{"<method>_response": {…},
 * "sign": "…"}` signed by the fake's own "Alipay" key over the response object's exact text.
 * Auth codes are single use (spent whatever the outcome), 3 minutes (Alipay's floor); the token
 * method's failures come as `error_response` with code/sub_code (isv.code-invalid, ...). Apps answer
 * `user_id` (one per person, 2088…) or `open_id` (one per person and app) as each is configured.
 * In memory; under /sandbox/alipay in sandbox mode, or alone (main.ts).
 */

export const ALIPAY_FAKE_ENDPOINTS = ['token', 'userinfo'] as const;
export const ALIPAY_GATEWAY_PATH = '/gateway.do';
/** The sandbox's Alipay app id (never a real one). */
export const SANDBOX_ALIPAY_APP_ID = '2021000000000001';

export interface FakeAlipayApp {
  appId: string;
  /** The app's public key (RSA): request signatures must verify with it. */
  publicKey: KeyObject;
  /** Which id the app receives: the 2088… user_id (older apps) or the per-app open_id (default). */
  idType?: 'user_id' | 'open_id';
  /** Whether the app signed the product behind alipay.user.info.share (default true). */
  userInfoSigned?: boolean;
}

export interface FakeAlipayOptions {
  apps: readonly FakeAlipayApp[];
  /** The key the fake signs answers with (Alipay's); made when absent. */
  alipayPrivateKey?: KeyObject;
  now?: () => number;
}

const AUTH_CODE_TTL_SECONDS = 180;
const ACCESS_TTL_SECONDS = 1_296_000;
const REFRESH_TTL_SECONDS = 2_592_000;
const TOKEN_METHOD = 'alipay.system.oauth.token';
const USERINFO_METHOD = 'alipay.user.info.share';

// Gateway codes by the family of the sub_code (Alipay "公共错误码").
const GATEWAY_CODES: [prefix: string, code: string, msg: string][] = [
  ['isp.', '20000', 'Service Currently Unavailable'],
  ['aop.', '20001', 'Insufficient Token Permissions'],
  ['isv.missing-', '40001', 'Missing Required Arguments'],
  ['isv.insufficient-', '40006', 'Insufficient Permissions'],
  ['isv.', '40002', 'Invalid Arguments'],
];

const SUB_MESSAGES: Record<string, string> = {
  'isv.code-invalid': '授权码code无效',
  'isv.invalid-app-id': '无效的AppID参数',
  'isv.missing-signature': '缺少签名参数',
  'isv.invalid-signature-type': '无效的签名类型',
  'isv.invalid-signature': '验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配',
  'isv.invalid-method': '不存在的方法名',
  'isv.grant-type-invalid': 'grant_type参数不正确',
  'isv.refresh-token-invalid': '刷新令牌refresh_token无效',
  'aop.invalid-auth-token': '无效的访问令牌',
  'isv.insufficient-isv-permissions': 'ISV权限不足，建议在开发者中心检查签约是否已经生效',
  'isp.unknow-error': '服务暂不可用',
};

interface CodeRecord {
  person: string;
  appId: string;
  expiresAt: number;
  used: boolean;
}

export class FakeAlipayServer extends FakeProviderServer {
  // Made on libuv's thread pool: a 2048-bit RSA key takes ~100 ms of CPU, which must not delay the start.
  private readonly signingKey: Promise<KeyObject>;
  private readonly apps: Map<string, FakeAlipayApp>;
  private readonly codes = new Map<string, CodeRecord>();
  private readonly tokens = new Map<string, { person: string; appId: string; expiresAt: number }>();

  constructor(options: FakeAlipayOptions) {
    super(new FakeClock(options.now), ALIPAY_FAKE_ENDPOINTS);
    if (options.apps.length === 0) throw new Error('the Alipay fake needs at least one app');
    this.apps = new Map(options.apps.map((app) => [app.appId, app]));
    this.signingKey = options.alipayPrivateKey
      ? Promise.resolve(options.alipayPrivateKey)
      : promisify(generateKeyPair)('rsa', { modulusLength: 2048 }).then((pair) => pair.privateKey);
  }

  /** The public half of the fake's "Alipay" key: what the client verifies answers with. */
  async alipayPublicKey(): Promise<KeyObject> {
    return createPublicKey(await this.signingKey);
  }

  /** The person approved the login in Alipay (app SDK or my.getAuthCode): a fresh auth code. */
  authorize(input: { person?: string; appId?: string }): { authCode: string; userId: string; openId: string } {
    const appId = input.appId ?? this.apps.keys().next().value!;
    if (!this.apps.has(appId)) throw new FakeInputError('appId is not one of the fake Alipay apps');
    const person = input.person ?? `anonymous-${randomBytes(6).toString('hex')}`;
    const authCode = randomBytes(16).toString('hex');
    this.codes.set(authCode, {
      person,
      appId,
      expiresAt: this.clock.now() + AUTH_CODE_TTL_SECONDS * 1000,
      used: false,
    });
    return { authCode, userId: userIdFor(person), openId: openIdFor(appId, person) };
  }

  override reset(): void {
    super.reset();
    this.codes.clear();
    this.tokens.clear();
  }

  protected async api(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
    if (path !== ALIPAY_GATEWAY_PATH) return false;
    // Common parameters come in the query string, the method's own in the form body (the SDKs' way).
    const params: Record<string, string> = { ...Object.fromEntries(url.searchParams) };
    if (req.method === 'POST') {
      for (const [key, value] of Object.entries(await readBody(req)))
        if (typeof value === 'string') params[key] = value;
    }
    const method = params.method ?? '';
    const endpoint = method === TOKEN_METHOD ? 'token' : method === USERINFO_METHOD ? 'userinfo' : undefined;
    this.record(endpoint ? `${ALIPAY_GATEWAY_PATH}?method=${method}` : ALIPAY_GATEWAY_PATH);
    const key = await this.signingKey;
    const responseKey = endpoint === 'userinfo' ? `${method.replaceAll('.', '_')}_response` : 'error_response';
    const { applied, fault } = endpoint
      ? await this.applyFault(endpoint, res, (f) => ({
          status: 200,
          body: signed(responseKey, failure(f.error!), key),
        }))
      : { applied: false, fault: undefined };
    if (applied) {
      if (endpoint === 'token' && (fault?.drop || fault?.malformed)) this.consume(params.code);
      return true;
    }
    const refused = this.authenticate(params) ?? (endpoint ? undefined : 'isv.invalid-method');
    if (refused) {
      sendText(res, 200, signed(responseKey, failure(refused), key), 'text/html;charset=utf-8');
      return true;
    }
    const [answerKey, body] = endpoint === 'token' ? this.token(params) : [responseKey, this.userInfo(params)];
    sendText(res, 200, signed(answerKey, body, key), 'text/html;charset=utf-8');
    return true;
  }

  protected async userSide(req: IncomingMessage, res: ServerResponse, route: string): Promise<boolean> {
    if (route !== 'POST /authorize') return false;
    const body = await readBody(req);
    sendJson(
      res,
      200,
      this.authorize({ person: optionalString(body, 'person'), appId: optionalString(body, 'appId') }),
    );
    return true;
  }

  /** The gateway's checks: a known app and an RSA2 signature by its key. A sub_code when refused. */
  private authenticate(params: Record<string, string>): string | undefined {
    const app = this.apps.get(params.app_id ?? '');
    if (!app) return 'isv.invalid-app-id';
    if (!params.sign) return 'isv.missing-signature';
    if (params.sign_type !== 'RSA2') return 'isv.invalid-signature-type';
    const content = Object.keys(params)
      .filter((name) => name !== 'sign' && params[name] !== '')
      .sort()
      .map((name) => `${name}=${params[name]}`)
      .join('&');
    let ok = false;
    try {
      ok = createVerify('RSA-SHA256').update(content, 'utf8').verify(app.publicKey, params.sign, 'base64');
    } catch {
      ok = false;
    }
    return ok ? undefined : 'isv.invalid-signature';
  }

  private token(params: Record<string, string>): [string, Json] {
    if (params.grant_type === 'refresh_token') return ['error_response', failure('isv.refresh-token-invalid')];
    if (params.grant_type !== 'authorization_code') return ['error_response', failure('isv.grant-type-invalid')];
    const record = params.code ? this.codes.get(params.code) : undefined;
    const fresh = record && !record.used && record.appId === params.app_id && record.expiresAt > this.clock.now();
    // Spent on use, whether or not the exchange succeeds.
    if (record) record.used = true;
    if (!record || !fresh) return ['error_response', failure('isv.code-invalid')];
    const app = this.apps.get(record.appId)!;
    const accessToken = `authusrB${randomBytes(16).toString('hex')}`;
    this.tokens.set(accessToken, {
      person: record.person,
      appId: record.appId,
      expiresAt: this.clock.now() + ACCESS_TTL_SECONDS * 1000,
    });
    return [
      `${TOKEN_METHOD.replaceAll('.', '_')}_response`,
      {
        ...this.idOf(app, record.person),
        access_token: accessToken,
        expires_in: ACCESS_TTL_SECONDS,
        refresh_token: `authusrB${randomBytes(16).toString('hex')}`,
        re_expires_in: REFRESH_TTL_SECONDS,
        auth_start: alipayTime(this.clock.now()),
      },
    ];
  }

  private userInfo(params: Record<string, string>): Json {
    const grant = params.auth_token ? this.tokens.get(params.auth_token) : undefined;
    if (!grant || grant.appId !== params.app_id || grant.expiresAt <= this.clock.now()) {
      return failure('aop.invalid-auth-token');
    }
    const app = this.apps.get(grant.appId)!;
    if (app.userInfoSigned === false) return failure('isv.insufficient-isv-permissions');
    return {
      code: '10000',
      msg: 'Success',
      ...this.idOf(app, grant.person),
      nick_name: `支付宝用户${userIdFor(grant.person).slice(-4)}`,
      avatar: `https://tfs.alipayobjects.com/images/partner/fake${userIdFor(grant.person).slice(-6)}`,
    };
  }

  private idOf(app: FakeAlipayApp, person: string): Json {
    return app.idType === 'user_id' ? { user_id: userIdFor(person) } : { open_id: openIdFor(app.appId, person) };
  }

  private consume(code: string | undefined): void {
    const record = code ? this.codes.get(code) : undefined;
    if (record) record.used = true;
  }
}

/** `{"<key>":<body>,"sign":"…"}`, signed over the body's exact text, as Alipay answers. */
function signed(responseKey: string, body: Json, key: KeyObject): string {
  const text = JSON.stringify(body);
  const sign = createSign('RSA-SHA256').update(text, 'utf8').sign(key, 'base64');
  return `{"${responseKey}":${text},"sign":"${sign}"}`;
}

function failure(subCode: string): Json {
  const [, code, msg] = GATEWAY_CODES.find(([prefix]) => subCode.startsWith(prefix)) ?? [
    '',
    '40004',
    'Business Failed',
  ];
  return { code, msg, sub_code: subCode, sub_msg: SUB_MESSAGES[subCode] ?? subCode };
}

// Alipay's time format, in China Standard Time.
function alipayTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

// One 2088… user_id per person, whatever the app.
function userIdFor(person: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(`alipay:user:${person}`).digest('hex').slice(0, 15)}`);
  return `2088${(digits % 10n ** 12n).toString().padStart(12, '0')}`;
}

// One open_id per person and app.
function openIdFor(appId: string, person: string): string {
  const text = createHash('sha256')
    .update(`alipay:open:${appId}:${person}`)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '');
  return `0${text.slice(0, 42)}`;
}
