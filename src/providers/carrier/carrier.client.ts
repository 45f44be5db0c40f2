import type { GetMobileRequest } from '@alicloud/dypnsapi20170525';
import { Injectable, Logger } from '@nestjs/common';
import { parsePhoneNumberFromString } from '../../common/libphonenumber';
import { isClientToken } from '../../common/client-token';
import { AppConfig } from '../../config/app-config.service';
import type { CarrierSettings } from '../../config/providers-config';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { classifyFetchError, outcomeOf, ProviderCalls } from '../provider-calls';
import { ProviderRejectedError, ProviderUnavailableError } from '../provider-errors';

export const CARRIER_FAKE_PATH = '/sandbox/carrier';

// Alibaba's SDK (and its OpenAPI core) is required on first use, not at start: most configurations
// never call it, and loading it costs a good part of the start-up.
const dypnsapi = (): typeof import('@alicloud/dypnsapi20170525') => require('@alicloud/dypnsapi20170525');
const openApi = (): typeof import('@alicloud/openapi-core') => require('@alicloud/openapi-core');

/**
 * Carrier one-tap: the one-time token the carrier SDK gave the app → the SIM's own phone number.
 * One interface, one implementation per vendor (Alibaba Cloud first).
 */
export abstract class CarrierClient {
  abstract readonly configured: boolean;
  /** E.164. A bad, used or expired token → CARRIER_TOKEN_INVALID; the vendor failing → PROVIDER_UNAVAILABLE. */
  abstract getMobile(token: string): Promise<string>;
}

/** The part of Alibaba Cloud's Dypnsapi client we use. */
export interface DypnsapiClient {
  getMobile(request: GetMobileRequest): Promise<{
    statusCode?: number;
    body?: { code?: string; message?: string; getMobileResultDTO?: { mobile?: string } };
  }>;
}

// Codes (the answer's `Code`) that mean the token itself is no good: the app falls back to SMS.
const TOKEN_CODES = new Set(['isv.TOKEN_INVALID', 'isv.INVALID_TOKEN', 'isv.TOKEN_EXPIRED', 'MissingAccessToken']);

/**
 * Alibaba Cloud number authentication (Dypnsapi 2017-05-25 GetMobile) through the official SDK,
 * signed with our AccessKey (RPC, HMAC-SHA1). GetMobile is billed and spends the token, so it is
 * never retried once it may have reached Alibaba; the SDK's own retries stay off.
 */
@Injectable()
export class AlibabaCarrierClient extends CarrierClient {
  private readonly logger = new Logger('CarrierClient');
  private readonly settings: CarrierSettings | null;
  private sdk?: { endpoint: string; client: DypnsapiClient };

  constructor(
    config: AppConfig,
    private readonly calls: ProviderCalls,
  ) {
    super();
    this.settings = config.get('providers').carrier;
  }

  get configured(): boolean {
    return this.settings !== null;
  }

  async getMobile(token: string): Promise<string> {
    if (!this.settings) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    // Checked before the SDK sees it: the SDK throws on some input (a lone surrogate) before sending.
    if (!isClientToken(token, 4096) || token.length === 0) throw new DomainError(ErrorCode.CARRIER_TOKEN_INVALID);
    const settings = this.settings;
    return this.calls.run('carrier', 'once', async () => {
      const sdk = this.client(settings);
      const started = Date.now();
      let answer: Awaited<ReturnType<DypnsapiClient['getMobile']>>;
      try {
        answer = await sdk.getMobile(new (dypnsapi().GetMobileRequest)({ accessToken: token }));
      } catch (error) {
        throw this.failure(error, started);
      }
      const code = answer.body?.code;
      if (code !== 'OK') {
        this.calls.report('carrier', 'getmobile', `code_${code ?? 'none'}`, started);
        if (code && isTokenCode(code)) throw new ProviderRejectedError('carrier', code);
        this.logger.warn(`GetMobile answered ${code ?? 'no code'}`);
        throw new ProviderUnavailableError('carrier', 'refused', code);
      }
      const phone = e164(answer.body?.getMobileResultDTO?.mobile);
      if (!phone) {
        this.calls.report('carrier', 'getmobile', 'malformed', started);
        throw new ProviderUnavailableError('carrier', 'malformed', 'getmobile');
      }
      this.calls.report('carrier', 'getmobile', 'ok', started);
      return phone;
    });
  }

  // The SDK throws its own errors: HTTP 4xx/5xx with Alibaba's Code, or the socket's failure.
  private failure(error: unknown, started: number): Error {
    const code = (error as { code?: unknown })?.code;
    const status = (error as { statusCode?: unknown })?.statusCode;
    const name = (error as { name?: string })?.name ?? '';
    if (typeof status === 'number' && typeof code === 'string') {
      this.calls.report('carrier', 'getmobile', `code_${code}`, started);
      if (isTokenCode(code)) return new ProviderRejectedError('carrier', code);
      if (name === 'ThrottlingError' || code.startsWith('Throttling')) {
        return new ProviderUnavailableError('carrier', 'throttled', code);
      }
      if (status === 400 || status === 403 || status === 404)
        this.logger.error(`Alibaba Cloud refused our call: ${code}`);
      return new ProviderUnavailableError('carrier', status >= 500 ? 'http' : 'refused', `${status} ${code}`);
    }
    if (/timeout/i.test(name) || /timeout/i.test(String((error as { message?: unknown })?.message))) {
      this.calls.report('carrier', 'getmobile', 'timeout', started);
      return new ProviderUnavailableError('carrier', 'timeout');
    }
    if (error instanceof SyntaxError) {
      this.calls.report('carrier', 'getmobile', 'malformed', started);
      return new ProviderUnavailableError('carrier', 'malformed', 'getmobile');
    }
    const unavailable = classifyFetchError('carrier', error);
    this.calls.report('carrier', 'getmobile', outcomeOf(unavailable), started);
    return unavailable;
  }

  // One SDK client per endpoint: in the sandbox the endpoint follows the port the service listens on now.
  private client(settings: CarrierSettings): DypnsapiClient {
    const local = settings.endpoint === null ? new URL(this.calls.localBase('carrier', CARRIER_FAKE_PATH)) : null;
    // The SDK puts host (and any path) between the protocol and "/?AccessToken=…".
    const endpoint = local ? `${local.host}${local.pathname}` : settings.endpoint!;
    if (this.sdk?.endpoint !== endpoint) {
      const config = new (openApi().$OpenApiUtil.Config)({
        accessKeyId: settings.accessKeyId,
        accessKeySecret: settings.accessKeySecret,
        endpoint,
        protocol: local ? 'http' : settings.protocol,
        readTimeout: this.calls.timeoutMs,
        connectTimeout: Math.min(this.calls.timeoutMs, 3000),
      });
      this.sdk = { endpoint, client: new (dypnsapi().default)(config) as unknown as DypnsapiClient };
    }
    return this.sdk.client;
  }
}

function isTokenCode(code: string): boolean {
  return TOKEN_CODES.has(code) || (code.startsWith('isv.') && code.includes('TOKEN'));
}

// Mainland numbers come as 11 digits; anything else must already carry its country code.
function e164(mobile: string | undefined): string | null {
  if (!mobile) return null;
  const parsed = parsePhoneNumberFromString(mobile, 'CN');
  return parsed?.isValid() ? parsed.number : null;
}
