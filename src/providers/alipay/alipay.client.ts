import { Logger } from '@nestjs/common';
import type { AlipaySdk } from 'alipay-sdk';
import type { KeyObject } from 'node:crypto';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { ProviderCalls } from '../provider-calls';
import { checkOpaque } from '../provider-input';
import { AlipayAnswerError, classifyAlipayFailure } from './alipay-answers';

export const ALIPAY_FAKE_PATH = '/sandbox/alipay';
export const ALIPAY_DEFAULT_GATEWAY = 'https://openapi.alipay.com/gateway.do';

// The SDK (and its HTTP client) is required on first use, not at start: most configurations never call it.
const alipaySdk = (): typeof import('alipay-sdk') => require('alipay-sdk');

/** What the Alipay client needs; the connector that owns it reads and validates these from the environment. */
export interface AlipaySettings {
  appId: string;
  /** Our app's private key (RSA 2048): signs every request (RSA2). */
  privateKey: KeyObject;
  /** Alipay's public key for this app: every answer must verify with it. */
  alipayPublicKey: KeyObject;
  /** The id the app is keyed on: user_id (older apps) or open_id (after Alipay's openid migration). */
  keyOn: 'user_id' | 'open_id';
  /** https://openapi.alipay.com/gateway.do; null: the in-process fake's /sandbox/alipay/gateway.do. */
  gateway: string | null;
}

export interface AlipayIdentity {
  appId: string;
  /** The user_id or open_id, as the app is keyed. */
  subject: string;
  keyOn: 'user_id' | 'open_id';
  accessToken: string;
  refreshToken: string | null;
  expiresIn: number;
  reExpiresIn: number | null;
  /** From alipay.user.info.share when the app signed that product; null otherwise. */
  nickname: string | null;
  avatarUrl: string | null;
}

// Alipay's auth codes are 32 hex characters (at most 40 documented).
const MAX_AUTH_CODE = 128;

/**
 * Alipay login on the server (the app's 授权登录 or a mini program's my.getAuthCode): the auth code
 * goes through `alipay.system.oauth.token` with the official alipay-sdk, which signs the request
 * with our private key and verifies the answer with Alipay's public key (RSA2 both ways). The code
 * is spent by the call whatever its outcome, so it is never retried once it may have left.
 */
export class AlipayClient {
  private readonly logger = new Logger(AlipayClient.name);
  private sdk?: { gateway: string; client: AlipaySdk };

  constructor(
    private readonly settings: AlipaySettings | null,
    private readonly calls: ProviderCalls,
  ) {}

  get configured(): boolean {
    return this.settings !== null;
  }

  async exchangeAuthCode(authCode: string): Promise<AlipayIdentity> {
    const settings = this.settings;
    if (!settings) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    checkOpaque(authCode, 'authCode', MAX_AUTH_CODE);
    const grant = await this.calls.run('alipay', 'once', () => this.token(settings, authCode));
    return { ...grant, ...(await this.profile(grant.accessToken)) };
  }

  private async token(settings: AlipaySettings, code: string): Promise<Omit<AlipayIdentity, 'nickname' | 'avatarUrl'>> {
    const { data, started } = await this.exec('token', 'alipay.system.oauth.token', {
      grant_type: 'authorization_code',
      code,
    });
    const subject = text(data[settings.keyOn]);
    const accessToken = text(data.access_token);
    const expiresIn = Number(data.expires_in);
    if (!subject || !accessToken || !Number.isFinite(expiresIn)) {
      const other = settings.keyOn === 'user_id' ? 'open_id' : 'user_id';
      if (accessToken && text(data[other])) {
        this.logger.error(`Alipay answers ${other} but the app is keyed on ${settings.keyOn}: check its configuration`);
      }
      throw classifyAlipayFailure(new AlipayAnswerError('malformed'), (outcome) =>
        this.report('token', outcome, started),
      );
    }
    this.report('token', 'ok', started);
    const reExpiresIn = Number(data.re_expires_in);
    return {
      appId: settings.appId,
      subject,
      keyOn: settings.keyOn,
      accessToken,
      refreshToken: text(data.refresh_token),
      expiresIn,
      reExpiresIn: Number.isFinite(reExpiresIn) ? reExpiresIn : null,
    };
  }

  // Best effort: without the product signed (or with Alipay failing) the login goes on without a name.
  private async profile(accessToken: string): Promise<{ nickname: string | null; avatarUrl: string | null }> {
    try {
      return await this.calls.run('alipay', 'safe', async () => {
        const { data, started } = await this.exec(
          'userinfo',
          'alipay.user.info.share',
          { auth_token: accessToken },
          true,
        );
        if (data.code !== '10000') {
          this.report('userinfo', `code_${text(data.sub_code) ?? text(data.code) ?? 'none'}`, started);
          return { nickname: null, avatarUrl: null };
        }
        this.report('userinfo', 'ok', started);
        return { nickname: text(data.nick_name), avatarUrl: text(data.avatar) };
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.logger.warn(`alipay.user.info.share failed (${error.code}); signing in without a nickname`);
      return { nickname: null, avatarUrl: null };
    }
  }

  /**
   * One gateway call with the answer's signature verified; the method's data, or a classified
   * failure. `ownErrors`: the method answers its business errors in its own (signed) envelope.
   */
  private async exec(
    operation: string,
    method: string,
    params: Record<string, string>,
    ownErrors = false,
  ): Promise<{ data: Record<string, unknown>; started: number }> {
    const started = Date.now();
    const report = (outcome: string): void => this.report(operation, outcome, started);
    let data: Record<string, unknown>;
    try {
      data = (await this.client().exec(method, params, { validateSign: true })) as Record<string, unknown>;
    } catch (error) {
      throw classifyAlipayFailure(error, report, `${method.replaceAll('.', '_')}_response`);
    }
    if (!ownErrors && data.sub_code !== undefined) {
      throw classifyAlipayFailure(new AlipayAnswerError('error', text(data.sub_code) ?? ''), report);
    }
    return { data, started };
  }

  private report(operation: string, outcome: string, started: number): void {
    this.calls.report('alipay', operation, outcome, started);
  }

  // One SDK client per gateway: in the sandbox the gateway follows the port the service listens on now.
  private client(): AlipaySdk {
    const settings = this.settings!;
    const gateway = settings.gateway ?? `${this.calls.localBase('alipay', ALIPAY_FAKE_PATH)}/gateway.do`;
    if (this.sdk?.gateway !== gateway) {
      const pem = (key: KeyObject): string =>
        key
          .export({ type: key.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' })
          .toString()
          .trim();
      const client = new (alipaySdk().AlipaySdk)({
        appId: settings.appId,
        privateKey: pem(settings.privateKey),
        keyType: 'PKCS8',
        alipayPublicKey: pem(settings.alipayPublicKey),
        signType: 'RSA2',
        gateway,
        timeout: this.calls.timeoutMs,
        camelcase: false,
      });
      this.sdk = { gateway, client };
    }
    return this.sdk.client;
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
