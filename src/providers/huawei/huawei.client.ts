import { Injectable, Logger } from '@nestjs/common';
import { parsePhoneNumberFromString } from '../../common/libphonenumber';
import { isClientToken } from '../../common/client-token';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config.service';
import type { HuaweiSettings } from '../../config/providers-config';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { IdTokenVerifier } from '../id-token-verifier';
import { alreadySent, ProviderCalls, str } from '../provider-calls';
import { ProviderRejectedError, ProviderUnavailableError } from '../provider-errors';

export const HUAWEI_FAKE_PATH = '/sandbox/huawei';

export interface HuaweiIdentity {
  /** Per app. */
  openId: string;
  /** Per developer account: the same across our apps. Key on it when present. */
  unionId: string | null;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  /** E.164, when the user granted the phone scope; verified by Huawei (counts as carrier-verified). */
  phone: string | null;
}

// Huawei's OAuth error numbers (`error` in a 400 body): 1101 is a bad request, which for a code
// exchange means the code (invalid, expired or used); the client errors are ours to fix.
const CLIENT_ERRORS = new Set([1102, 1104, 1105, 1107]);

/**
 * Huawei ID (Account Kit) on the server: the authorization code is exchanged at Huawei's OAuth
 * server (/oauth2/v3/token), the returned id_token verified with jose against Huawei's JWKS
 * (/oauth2/v3/certs; iss https://accounts.huawei.com, aud our client id, exp), then the user-info
 * API (GOpen.User.getInfo) gives the UnionID and, with the phone scope, the phone number.
 */
@Injectable()
export class HuaweiClient {
  private readonly logger = new Logger(HuaweiClient.name);
  private readonly settings: HuaweiSettings | null;
  private readonly verifier: IdTokenVerifier;

  constructor(
    config: AppConfig,
    private readonly calls: ProviderCalls,
    private readonly clock: Clock,
  ) {
    this.settings = config.get('providers').huawei;
    this.verifier = new IdTokenVerifier('huawei', () => `${this.oauthBase()}/oauth2/v3/certs`, calls);
  }

  /** The app's client id: the app_id of Huawei identities. */
  get clientId(): string {
    return this.settings?.clientId ?? '';
  }

  get configured(): boolean {
    return this.settings !== null;
  }

  async exchangeCode(authorizationCode: string): Promise<HuaweiIdentity> {
    const settings = this.require();
    if (!isClientToken(authorizationCode, 2048) || authorizationCode.length === 0) {
      throw DomainError.badInput('authorizationCode', 'required');
    }
    const tokens = await this.calls.run('huawei', 'once', (signal) => this.token(settings, authorizationCode, signal));
    const info = await this.calls.run('huawei', 'safe', (signal) => this.userInfo(tokens.accessToken, signal));
    if (info.openId !== tokens.openId) {
      this.logger.warn('Huawei user info names another OpenID than the id_token');
      throw new DomainError(ErrorCode.PROVIDER_UNAVAILABLE);
    }
    return { ...tokens, unionId: info.unionId, phone: info.phone };
  }

  private async token(
    settings: HuaweiSettings,
    code: string,
    signal: AbortSignal,
  ): Promise<Omit<HuaweiIdentity, 'unionId' | 'phone'>> {
    const { status, body, started } = await this.calls.fetchJson(
      'huawei',
      'token',
      `${this.oauthBase()}/oauth2/v3/token`,
      {
        method: 'POST',
        form: {
          grant_type: 'authorization_code',
          client_id: settings.clientId,
          client_secret: settings.clientSecret,
          code,
        },
      },
      signal,
    );
    if (status === 400 || status === 401) {
      const error = Number(body?.error);
      this.calls.report('huawei', 'token', `error_${Number.isFinite(error) ? error : 'unknown'}`, started);
      if (CLIENT_ERRORS.has(error) || status === 401) {
        this.logger.error(
          `Huawei refused our client (error ${error}): check HUAWEI_CLIENT_ID and HUAWEI_CLIENT_SECRET`,
        );
        throw new ProviderUnavailableError('huawei', 'refused', String(error));
      }
      throw new ProviderRejectedError('huawei', `error ${error}`, 'code-invalid');
    }
    if (status !== 200) {
      this.calls.report('huawei', 'token', `http_${status}`, started);
      throw new ProviderUnavailableError('huawei', status === 429 ? 'throttled' : 'http', String(status));
    }
    const accessToken = str(body, 'access_token');
    const refreshToken = str(body, 'refresh_token');
    const idToken = str(body, 'id_token');
    const expiresIn = Number(body?.expires_in);
    if (!accessToken || !refreshToken || !idToken || !Number.isFinite(expiresIn)) {
      this.calls.report('huawei', 'token', 'malformed', started);
      throw new ProviderUnavailableError('huawei', 'malformed', 'token');
    }
    this.calls.report('huawei', 'token', 'ok', started);
    // The code is spent: whatever fails from here is not "never sent".
    const payload = await alreadySent(
      this.verifier.verify(idToken, {
        issuer: settings.issuer,
        audience: settings.clientId,
        algorithms: ['RS256', 'PS256'],
        requiredClaims: ['sub', 'exp'],
        currentDate: this.clock.now(),
      }),
    );
    return { openId: payload.sub!, accessToken, refreshToken, expiresIn };
  }

  private async userInfo(
    accessToken: string,
    signal: AbortSignal,
  ): Promise<{ openId: string; unionId: string | null; phone: string | null }> {
    const { status, body, started } = await this.calls.fetchJson(
      'huawei',
      'userinfo',
      `${this.accountBase()}/rest.php?nsp_svc=GOpen.User.getInfo`,
      { method: 'POST', form: { access_token: accessToken, getNickName: '0' } },
      signal,
    );
    if (status !== 200) {
      this.calls.report('huawei', 'userinfo', `http_${status}`, started);
      throw new ProviderUnavailableError('huawei', 'http', String(status));
    }
    const openId = str(body, 'openID');
    if (!openId) {
      this.calls.report('huawei', 'userinfo', 'malformed', started);
      throw new ProviderUnavailableError('huawei', 'malformed', 'userinfo');
    }
    this.calls.report('huawei', 'userinfo', 'ok', started);
    return { openId, unionId: str(body, 'unionID'), phone: this.phone(str(body, 'mobileNumber')) };
  }

  private phone(raw: string | null): string | null {
    if (!raw) return null;
    const parsed = parsePhoneNumberFromString(raw.replace(/[\s-]/g, ''), 'CN');
    if (!parsed?.isValid()) {
      this.logger.warn('Huawei returned a phone number that does not parse; ignored');
      return null;
    }
    return parsed.number;
  }

  private require(): HuaweiSettings {
    if (!this.settings) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    return this.settings;
  }

  private oauthBase(): string {
    return this.settings?.oauthBase ?? this.calls.localBase('huawei', HUAWEI_FAKE_PATH);
  }

  private accountBase(): string {
    return this.settings?.accountBase ?? this.calls.localBase('huawei', HUAWEI_FAKE_PATH);
  }
}
