import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { WechatAppCredentials, WechatChannelName } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import { OutboundClient, OutboundErrorMakers } from '../outbound/outbound-client';
import { CallKind, CircuitStateName } from '../outbound/outbound-policies';
import { WechatAppRegistry } from './wechat-app-registry';
import {
  AppAccessToken,
  checkCode,
  Endpoint,
  FollowerInfo,
  FollowQrCode,
  MiniProgramSession,
  parseAppToken,
  parseFollowerInfo,
  parseMiniProgramSession,
  parsePhoneNumber,
  parseQrCode,
  parseTokens,
  parseUserInfo,
  PATHS,
  WechatPhoneNumber,
  WechatTokens,
  WechatUserInfo,
} from './wechat-endpoints';
import { WechatApiError, WechatNotSentError, WechatUnavailableError } from './wechat-errors';

export type {
  AppAccessToken,
  FollowerInfo,
  FollowQrCode,
  MiniProgramSession,
  WechatPhoneNumber,
  WechatTokens,
  WechatUserInfo,
};
export { CIRCUIT_FAILURE_THRESHOLD, CIRCUIT_HALF_OPEN_AFTER_MS } from '../outbound/outbound-policies';

const WECHAT_FAKE_PATH = '/sandbox/wechat';

// The base builds WeChat's own members of the error family, which WeChat's services test for.
const WECHAT_ERRORS: OutboundErrorMakers = {
  unavailable: (_provider, reason) => new WechatUnavailableError(reason),
  notSent: (_provider, kind, detail) => new WechatNotSentError(kind, detail),
};

/**
 * The only code that talks to WeChat's server, on the outbound kit: every call has a timeout and
 * runs inside a total budget; -1, 5xx and connection errors are retried only where repeating is
 * safe (userinfo, auth, refresh), never a code exchange that may have reached WeChat. One circuit
 * breaker per app. Secrets and tokens travel only in the query string to WeChat; nothing logs them.
 */
@Injectable()
export class WechatApiClient implements OnModuleDestroy {
  private readonly registry: WechatAppRegistry;
  private readonly outbound: OutboundClient;
  private readonly configuredBase: string | null;
  /** Called after every HTTP answer or failure, for metrics. */
  onCall?: (endpoint: Endpoint, outcome: string, millis: number) => void;

  constructor(config: AppConfig, httpAdapterHost: HttpAdapterHost) {
    const wechat = config.get('wechat');
    this.registry = new WechatAppRegistry(wechat.apps);
    this.configuredBase = wechat.apiBase;
    this.outbound = new OutboundClient({
      name: WechatApiClient.name,
      timeoutMs: wechat.timeoutMs,
      budgetMs: wechat.budgetMs,
      errors: WECHAT_ERRORS,
      httpAdapterHost,
    });
    this.outbound.onCall = (event) => this.onCall?.(event.operation as Endpoint, event.outcome, event.millis);
  }

  onModuleDestroy(): Promise<void> {
    return this.outbound.close();
  }

  get appIds(): string[] {
    return this.registry.appIds;
  }

  /** The configured app, or null. */
  app(appId: string): WechatAppCredentials | null {
    return this.registry.app(appId);
  }

  /** The first configured app of a channel, or null. */
  firstAppOf(channel: WechatChannelName): WechatAppCredentials | null {
    return this.registry.firstAppOf(channel);
  }

  hasApp(appId: string): boolean {
    return this.registry.has(appId);
  }

  circuitState(appId: string): CircuitStateName {
    return this.outbound.circuitState({ provider: 'wechat', app: appId });
  }

  /** Code → tokens. Not retried once it may have reached WeChat: a used code answers 40163. */
  async exchangeCode(appId: string, code: string): Promise<WechatTokens> {
    const secret = this.registry.secretOf(appId);
    checkCode(code);
    return this.run(appId, 'once', async (signal) => {
      const params = { appid: appId, secret, code, grant_type: 'authorization_code' };
      return parseTokens(await this.call('access_token', params, null, signal), true);
    });
  }

  refresh(appId: string, refreshToken: string): Promise<WechatTokens> {
    this.registry.secretOf(appId);
    return this.run(appId, 'safe', async (signal) => {
      const params = { appid: appId, grant_type: 'refresh_token', refresh_token: refreshToken };
      return parseTokens(await this.call('refresh_token', params, null, signal), false);
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
    const secret = this.registry.secretOf(appId);
    checkCode(jsCode);
    return this.run(appId, 'once', async (signal) => {
      const params = { appid: appId, secret, js_code: jsCode, grant_type: 'authorization_code' };
      return parseMiniProgramSession(await this.call('jscode2session', params, null, signal));
    });
  }

  /** The app-level access token (`stable_token`). Without force_refresh it is safe to repeat. */
  stableToken(appId: string, forceRefresh = false): Promise<AppAccessToken> {
    const secret = this.registry.secretOf(appId);
    return this.run(appId, forceRefresh ? 'once' : 'safe', async (signal) => {
      const json = { grant_type: 'client_credential', appid: appId, secret, force_refresh: forceRefresh };
      return parseAppToken(await this.call('stable_token', {}, json, signal));
    });
  }

  /** The phone button's one-time code → the number. Single use (and billed): never retried once sent. */
  async phoneNumber(appId: string, appAccessToken: string, phoneCode: string): Promise<WechatPhoneNumber> {
    checkCode(phoneCode);
    return this.run(appId, 'once', async (signal) => {
      const json = { code: phoneCode };
      return parsePhoneNumber(await this.call('getuserphonenumber', { access_token: appAccessToken }, json, signal));
    });
  }

  /** A temporary QR_STR_SCENE code of an official account. Another try only makes another code: safe. */
  createQrCode(appId: string, appAccessToken: string, scene: string, expireSeconds: number): Promise<FollowQrCode> {
    return this.run(appId, 'safe', async (signal) => {
      const json = {
        expire_seconds: expireSeconds,
        action_name: 'QR_STR_SCENE',
        action_info: { scene: { scene_str: scene } },
      };
      return parseQrCode(await this.call('qrcode_create', { access_token: appAccessToken }, json, signal));
    });
  }

  /** `/cgi-bin/user/info`: whether the person follows the official account, and their unionid. */
  followerInfo(appId: string, appAccessToken: string, openid: string): Promise<FollowerInfo> {
    return this.run(appId, 'safe', async (signal) => {
      const params = { access_token: appAccessToken, openid, lang: 'zh_CN' };
      return parseFollowerInfo(await this.call('user_info', params, null, signal));
    });
  }

  private run<T>(appId: string, kind: CallKind, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.outbound.run({ provider: 'wechat', app: appId }, kind, work);
  }

  /** GET with `params`, or POST `json` with `params` in the query string; WeChat's errcode becomes its error. */
  private async call(
    endpoint: Endpoint,
    params: Record<string, string>,
    json: Record<string, unknown> | null,
    budget: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const url = `${this.base()}${PATHS[endpoint]}?${new URLSearchParams(params).toString()}`;
    const request = json ? { method: 'POST' as const, url, json } : { method: 'GET' as const, url };
    const { status, text, started } = await this.outbound.send('wechat', endpoint, request, budget);
    const report = (outcome: string): void => this.outbound.report('wechat', endpoint, outcome, started);
    if (status !== 200) {
      report(`http_${status}`);
      throw new WechatUnavailableError('http', status);
    }
    // Content-Type is unreliable (text/plain has been seen): parse the body ourselves.
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
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
    return this.configuredBase ?? this.outbound.localBase('wechat', WECHAT_FAKE_PATH);
  }
}
