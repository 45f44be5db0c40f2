import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IPolicy,
  TaskCancelledError,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import type { WechatAppCredentials, WechatChannelName } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import { isClientToken } from '../common/client-token';
import { isLocalException } from '../providers/provider-errors';
import {
  isTransient,
  isWechatFailure,
  WechatApiError,
  WechatNotSentError,
  WechatUnavailableError,
} from './wechat-errors';

export interface WechatTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  openid: string;
  scope: string;
  /** Only in the code-exchange answer, and not always there. */
  unionid: string | null;
  /** is_snapshotuser: 1, an official account's snapshot page: the openid is virtual. */
  snapshot?: boolean;
}

export interface WechatUserInfo {
  openid: string;
  unionid: string | null;
  nickname: string;
  avatarUrl: string;
  language: string | null;
  sex: number;
}

/** What `jscode2session` answers for a mini program's `wx.login()` code. */
export interface MiniProgramSession {
  openid: string;
  unionid: string | null;
  sessionKey: string;
}

export interface AppAccessToken {
  accessToken: string;
  expiresIn: number;
}

export interface WechatPhoneNumber {
  /** With country code, digits only after the `+` (WeChat's phoneNumber, e.g. +86 13800138000). */
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
  /** The mini program the number was issued for (watermark.appid). */
  appId: string;
}

type Endpoint =
  'access_token' | 'refresh_token' | 'auth' | 'userinfo' | 'jscode2session' | 'stable_token' | 'getuserphonenumber';

const PATHS: Record<Endpoint, string> = {
  access_token: '/sns/oauth2/access_token',
  refresh_token: '/sns/oauth2/refresh_token',
  auth: '/sns/auth',
  userinfo: '/sns/userinfo',
  jscode2session: '/sns/jscode2session',
  stable_token: '/cgi-bin/stable_token',
  getuserphonenumber: '/wxa/business/getuserphonenumber',
};

// Connection errors that prove the request never left: safe to retry even a code exchange.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
// undici refusing to send what we built (bad header, URL or body): our side, before sending.
const LOCAL_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'ERR_INVALID_URL', 'ERR_INVALID_CHAR']);
// WeChat's one-time codes are short; anything else is refused before it is sent.
const MAX_CODE_LENGTH = 256;

export const CIRCUIT_FAILURE_THRESHOLD = 5;
export const CIRCUIT_HALF_OPEN_AFTER_MS = 10_000;

/**
 * The only code that talks to WeChat's server. Every call has a timeout and runs inside a total
 * budget; -1, 5xx and connection errors are retried (at most twice, exponential backoff with
 * jitter) only where repeating is safe: userinfo, auth and refresh, never a code exchange that may
 * have reached WeChat. One circuit breaker per app stops hammering a failing WeChat.
 * Secrets and tokens travel only in the query string to WeChat; nothing here logs them.
 */
@Injectable()
export class WechatApiClient implements OnModuleDestroy {
  private readonly logger = new Logger(WechatApiClient.name);
  private readonly secrets = new Map<string, string>();
  private readonly apps = new Map<string, WechatAppCredentials>();
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();
  private readonly timeoutMs: number;
  private readonly budgetMs: number;
  private readonly configuredBase: string | null;
  private readonly controller = new AbortController();
  /** Keep-alive connections to WeChat, shared by every call of this client. */
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
  /** The resilience policy of each app and kind of call, built once. */
  private readonly policies = new Map<string, IPolicy>();
  /** Called after every HTTP answer or failure, for metrics. */
  onCall?: (endpoint: Endpoint, outcome: string, millis: number) => void;

  constructor(
    config: AppConfig,
    private readonly httpAdapterHost: HttpAdapterHost,
  ) {
    const wechat = config.get('wechat');
    for (const app of wechat.apps) {
      this.secrets.set(app.appId, app.secret);
      this.apps.set(app.appId, app);
    }
    this.timeoutMs = wechat.timeoutMs;
    this.budgetMs = wechat.budgetMs;
    this.configuredBase = wechat.apiBase;
    // Every call in flight listens on this one signal (to stop at shutdown); there can be many.
    setMaxListeners(0, this.controller.signal);
  }

  async onModuleDestroy(): Promise<void> {
    this.controller.abort();
    await this.agent.close().catch(() => undefined);
  }

  get appIds(): string[] {
    return [...this.secrets.keys()];
  }

  /** The configured app, or null. */
  app(appId: string): WechatAppCredentials | null {
    return this.apps.get(appId) ?? null;
  }

  /** The first configured app of a channel, or null. */
  firstAppOf(channel: WechatChannelName): WechatAppCredentials | null {
    for (const app of this.apps.values()) if (app.channel === channel) return app;
    return null;
  }

  hasApp(appId: string): boolean {
    return this.secrets.has(appId);
  }

  circuitState(appId: string): 'closed' | 'open' | 'half-open' {
    const state = this.breakers.get(appId)?.state;
    if (state === CircuitState.Open || state === CircuitState.Isolated) return 'open';
    if (state === CircuitState.HalfOpen) return 'half-open';
    return 'closed';
  }

  /** Code → tokens. Not retried once it may have reached WeChat: a used code answers 40163. */
  async exchangeCode(appId: string, code: string): Promise<WechatTokens> {
    const secret = this.secretOf(appId);
    checkCode(code);
    return this.run(appId, 'exchange', async (signal) => {
      const body = await this.call(
        'access_token',
        { appid: appId, secret, code, grant_type: 'authorization_code' },
        null,
        signal,
      );
      return parseTokens(body, true);
    });
  }

  refresh(appId: string, refreshToken: string): Promise<WechatTokens> {
    this.secretOf(appId);
    return this.run(appId, 'safe', async (signal) => {
      const body = await this.call(
        'refresh_token',
        { appid: appId, grant_type: 'refresh_token', refresh_token: refreshToken },
        null,
        signal,
      );
      return parseTokens(body, false);
    });
  }

  /** Resolves when WeChat says the access token is valid for this openid. */
  checkAccessToken(appId: string, accessToken: string, openid: string): Promise<void> {
    return this.run(appId, 'safe', async (signal) => {
      await this.call('auth', { access_token: accessToken, openid }, null, signal);
    });
  }

  userInfo(appId: string, accessToken: string, openid: string): Promise<WechatUserInfo> {
    return this.run(appId, 'safe', async (signal) => {
      const body = await this.call('userinfo', { access_token: accessToken, openid, lang: 'zh_CN' }, null, signal);
      return parseUserInfo(body);
    });
  }

  /** A mini program's `wx.login()` code → openid and session key. Single use: never retried once sent. */
  async miniProgramSession(appId: string, jsCode: string): Promise<MiniProgramSession> {
    const secret = this.secretOf(appId);
    checkCode(jsCode);
    return this.run(appId, 'exchange', async (signal) => {
      const body = await this.call(
        'jscode2session',
        { appid: appId, secret, js_code: jsCode, grant_type: 'authorization_code' },
        null,
        signal,
      );
      const openid = str(body, 'openid');
      const sessionKey = str(body, 'session_key');
      if (!openid || !sessionKey) throw new WechatUnavailableError('malformed');
      return { openid, sessionKey, unionid: str(body, 'unionid') };
    });
  }

  /** The app-level access token (`stable_token`). Without force_refresh it is safe to repeat. */
  stableToken(appId: string, forceRefresh = false): Promise<AppAccessToken> {
    const secret = this.secretOf(appId);
    return this.run(appId, forceRefresh ? 'exchange' : 'safe', async (signal) => {
      const body = await this.call(
        'stable_token',
        {},
        { grant_type: 'client_credential', appid: appId, secret, force_refresh: forceRefresh },
        signal,
      );
      const accessToken = str(body, 'access_token');
      const expiresIn = Number(body.expires_in);
      if (!accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0) throw new WechatUnavailableError('malformed');
      return { accessToken, expiresIn };
    });
  }

  /** The phone button's one-time code → the number. Single use (and billed): never retried once sent. */
  async phoneNumber(appId: string, appAccessToken: string, phoneCode: string): Promise<WechatPhoneNumber> {
    checkCode(phoneCode);
    return this.run(appId, 'exchange', async (signal) => {
      const body = await this.call('getuserphonenumber', { access_token: appAccessToken }, { code: phoneCode }, signal);
      const info = body.phone_info as Record<string, unknown> | undefined;
      const watermark = info?.watermark as Record<string, unknown> | undefined;
      const purePhoneNumber = info ? str(info, 'purePhoneNumber') : null;
      const countryCode = info ? str(info, 'countryCode') : null;
      if (!info || !purePhoneNumber || !countryCode || !watermark) throw new WechatUnavailableError('malformed');
      return {
        phoneNumber: str(info, 'phoneNumber') ?? purePhoneNumber,
        purePhoneNumber,
        countryCode,
        appId: typeof watermark.appid === 'string' ? watermark.appid : '',
      };
    });
  }

  private secretOf(appId: string): string {
    const secret = this.secrets.get(appId);
    if (!secret) throw new WechatApiError(40013);
    return secret;
  }

  private async run<T>(
    appId: string,
    kind: 'exchange' | 'safe',
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const key = `${kind}:${appId}`;
    let policy = this.policies.get(key);
    if (!policy) {
      const retryWhen =
        kind === 'safe'
          ? handleWhen(isTransient)
          : handleWhen((error) => error instanceof WechatUnavailableError && error.reason === 'connect');
      policy = wrap(
        timeout(this.budgetMs, TimeoutStrategy.Aggressive),
        retry(retryWhen, { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) }),
        this.breakerFor(appId),
      );
      this.policies.set(key, policy);
    }
    try {
      return await policy.execute(async ({ signal }) => {
        try {
          return await work(signal);
        } catch (error) {
          // An exception of our own process (building the request) is not WeChat failing.
          if (isLocalException(error)) {
            this.logger.error(`WeChat call failed before it was sent: ${(error as Error).name}`);
            throw new WechatNotSentError('local', (error as Error).name);
          }
          throw error;
        }
      }, this.controller.signal);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new WechatUnavailableError('circuit-open');
      if (error instanceof TaskCancelledError) throw new WechatUnavailableError('budget');
      throw error;
    }
  }

  private breakerFor(appId: string): CircuitBreakerPolicy {
    let breaker = this.breakers.get(appId);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(isWechatFailure), {
        halfOpenAfter: CIRCUIT_HALF_OPEN_AFTER_MS,
        breaker: new ConsecutiveBreaker(CIRCUIT_FAILURE_THRESHOLD),
      });
      breaker.onStateChange((state) => this.logger.warn(`WeChat circuit for ${appId} is now ${CircuitState[state]}`));
      this.breakers.set(appId, breaker);
    }
    return breaker;
  }

  /**
   * GET with `params`, or POST `json` with `params` in the query string, on this client's own
   * keep-alive connection pool (undici's `request`: no WHATWG Request/Response per call).
   */
  private async call(
    endpoint: Endpoint,
    params: Record<string, string>,
    json: Record<string, unknown> | null,
    budget: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const url = `${this.base()}${PATHS[endpoint]}?${new URLSearchParams(params).toString()}`;
    const started = Date.now();
    const report = (outcome: string): void => this.onCall?.(endpoint, outcome, Date.now() - started);
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        dispatcher: this.agent,
        signal: budget,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(json
          ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }
          : { method: 'GET' }),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const unavailable = classifyRequestError(error, budget);
      report(unavailable instanceof WechatUnavailableError ? unavailable.reason : 'not_sent');
      throw unavailable;
    }
    if (status !== 200) {
      report(`http_${status}`);
      throw new WechatUnavailableError('http', status);
    }
    // Content-Type is unreliable (text/plain has been seen): parse the body ourselves.
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      report('malformed');
      throw new WechatUnavailableError('malformed');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      report('malformed');
      throw new WechatUnavailableError('malformed');
    }
    const errcode = (body as { errcode?: unknown }).errcode;
    const code = typeof errcode === 'string' ? Number(errcode) : errcode;
    if (typeof code === 'number' && code !== 0) {
      report(`errcode_${code}`);
      throw new WechatApiError(code);
    }
    report('ok');
    return body as Record<string, unknown>;
  }

  private base(): string {
    if (this.configuredBase) return this.configuredBase;
    // Sandbox: the fake is mounted in this very process.
    const address = this.httpAdapterHost.httpAdapter?.getHttpServer()?.address() as AddressInfo | string | null;
    if (!address || typeof address === 'string') throw new WechatUnavailableError('connect');
    return `http://127.0.0.1:${address.port}/sandbox/wechat`;
  }
}

function classifyRequestError(error: unknown, budget: AbortSignal): WechatUnavailableError | WechatNotSentError {
  const code = (error as { code?: string })?.code;
  if ((code && LOCAL_CODES.has(code)) || isLocalException(error)) {
    return new WechatNotSentError('local', code ?? (error as Error)?.name);
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new WechatUnavailableError('timeout');
  }
  if (budget.aborted || code === 'UND_ERR_ABORTED' || (error as { name?: string })?.name === 'AbortError') {
    return new WechatUnavailableError('budget');
  }
  if (code && NEVER_SENT.has(code)) return new WechatUnavailableError('connect');
  return new WechatUnavailableError('network');
}

function checkCode(code: string): void {
  if (!isClientToken(code, MAX_CODE_LENGTH)) throw new WechatNotSentError('bad-input');
}

function str(body: Record<string, unknown>, key: string): string | null {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

function parseTokens(body: Record<string, unknown>, withUnionid: boolean): WechatTokens {
  const accessToken = str(body, 'access_token');
  const refreshToken = str(body, 'refresh_token');
  const openid = str(body, 'openid');
  const expiresIn = Number(body.expires_in);
  if (!accessToken || !refreshToken || !openid || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new WechatUnavailableError('malformed');
  }
  return {
    accessToken,
    refreshToken,
    openid,
    expiresIn,
    // A trailing comma has been seen: "snsapi_userinfo,".
    scope: (str(body, 'scope') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .join(','),
    unionid: withUnionid ? str(body, 'unionid') : null,
    ...(Number(body.is_snapshotuser) === 1 ? { snapshot: true } : {}),
  };
}

function parseUserInfo(body: Record<string, unknown>): WechatUserInfo {
  const openid = str(body, 'openid');
  if (!openid) throw new WechatUnavailableError('malformed');
  const sex = Number(body.sex);
  return {
    openid,
    unionid: str(body, 'unionid'),
    nickname: typeof body.nickname === 'string' ? body.nickname : '',
    avatarUrl: typeof body.headimgurl === 'string' ? body.headimgurl : '',
    language: str(body, 'language'),
    sex: Number.isFinite(sex) ? sex : 0,
  };
}
