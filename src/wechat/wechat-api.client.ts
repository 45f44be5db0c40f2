import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
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
import { AppConfig } from '../config/app-config.service';
import { isTransient, isWechatFailure, WechatApiError, WechatUnavailableError } from './wechat-errors';

export interface WechatTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  openid: string;
  scope: string;
  /** Only in the code-exchange answer, and not always there. */
  unionid: string | null;
}

export interface WechatUserInfo {
  openid: string;
  unionid: string | null;
  nickname: string;
  avatarUrl: string;
  language: string | null;
  sex: number;
}

type Endpoint = 'access_token' | 'refresh_token' | 'auth' | 'userinfo';

const PATHS: Record<Endpoint, string> = {
  access_token: '/sns/oauth2/access_token',
  refresh_token: '/sns/oauth2/refresh_token',
  auth: '/sns/auth',
  userinfo: '/sns/userinfo',
};

// Connection errors that prove the request never left: safe to retry even a code exchange.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

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
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();
  private readonly timeoutMs: number;
  private readonly budgetMs: number;
  private readonly configuredBase: string | null;
  private readonly controller = new AbortController();
  /** Called after every HTTP answer or failure, for metrics. */
  onCall?: (endpoint: Endpoint, outcome: string, millis: number) => void;

  constructor(
    config: AppConfig,
    private readonly httpAdapterHost: HttpAdapterHost,
  ) {
    const wechat = config.get('wechat');
    for (const app of wechat.apps) this.secrets.set(app.appId, app.secret);
    this.timeoutMs = wechat.timeoutMs;
    this.budgetMs = wechat.budgetMs;
    this.configuredBase = wechat.apiBase;
    // Every call in flight listens on this one signal (to stop at shutdown); there can be many.
    setMaxListeners(0, this.controller.signal);
  }

  onModuleDestroy(): void {
    this.controller.abort();
  }

  get appIds(): string[] {
    return [...this.secrets.keys()];
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
  exchangeCode(appId: string, code: string): Promise<WechatTokens> {
    const secret = this.secretOf(appId);
    return this.run(appId, 'exchange', async (signal) => {
      const body = await this.get(
        'access_token',
        { appid: appId, secret, code, grant_type: 'authorization_code' },
        signal,
      );
      return parseTokens(body, true);
    });
  }

  refresh(appId: string, refreshToken: string): Promise<WechatTokens> {
    this.secretOf(appId);
    return this.run(appId, 'safe', async (signal) => {
      const body = await this.get(
        'refresh_token',
        { appid: appId, grant_type: 'refresh_token', refresh_token: refreshToken },
        signal,
      );
      return parseTokens(body, false);
    });
  }

  /** Resolves when WeChat says the access token is valid for this openid. */
  checkAccessToken(appId: string, accessToken: string, openid: string): Promise<void> {
    return this.run(appId, 'safe', async (signal) => {
      await this.get('auth', { access_token: accessToken, openid }, signal);
    });
  }

  userInfo(appId: string, accessToken: string, openid: string): Promise<WechatUserInfo> {
    return this.run(appId, 'safe', async (signal) => {
      const body = await this.get('userinfo', { access_token: accessToken, openid, lang: 'zh_CN' }, signal);
      return parseUserInfo(body);
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
    const retryWhen =
      kind === 'safe'
        ? handleWhen(isTransient)
        : handleWhen((error) => error instanceof WechatUnavailableError && error.reason === 'connect');
    const policy = wrap(
      timeout(this.budgetMs, TimeoutStrategy.Aggressive),
      retry(retryWhen, { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) }),
      this.breakerFor(appId),
    );
    try {
      return await policy.execute(({ signal }) => work(signal), this.controller.signal);
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

  private async get(
    endpoint: Endpoint,
    params: Record<string, string>,
    budget: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const url = `${this.base()}${PATHS[endpoint]}?${new URLSearchParams(params).toString()}`;
    const started = Date.now();
    const report = (outcome: string): void => this.onCall?.(endpoint, outcome, Date.now() - started);
    let response: Response;
    try {
      response = await fetch(url, {
        signal: AbortSignal.any([budget, AbortSignal.timeout(this.timeoutMs)]),
        redirect: 'error',
      });
    } catch (error) {
      const unavailable = classifyFetchError(error);
      report(unavailable.reason);
      throw unavailable;
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      report('network');
      throw classifyFetchError(error);
    }
    if (response.status !== 200) {
      report(`http_${response.status}`);
      throw new WechatUnavailableError('http', response.status);
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

function classifyFetchError(error: unknown): WechatUnavailableError {
  const name = (error as { name?: string })?.name;
  if (name === 'TimeoutError') return new WechatUnavailableError('timeout');
  if (name === 'AbortError') return new WechatUnavailableError('budget');
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  if (code && NEVER_SENT.has(code)) return new WechatUnavailableError('connect');
  return new WechatUnavailableError('network');
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
