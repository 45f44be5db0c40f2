import { createRemoteJWKSet, customFetch, errors, JWTPayload, jwtVerify, JWTVerifyOptions } from 'jose';
import { isClientToken } from '../common/client-token';
import { classifyFetchError, ProviderCalls } from './provider-calls';
import { ProviderName, ProviderRejectedError, ProviderUnavailableError } from './provider-errors';

const CACHE_MAX_AGE_MS = 10 * 60_000;
const COOLDOWN_MS = 30_000;

// jose's failures that mean "this token is not good", as opposed to "the key server is not answering".
const TOKEN_FAULTS = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  // An alg or key type the token names that we do not support: the token's fault.
  'ERR_JOSE_NOT_SUPPORTED',
]);

/**
 * Verifies provider-signed JWTs (Apple identity tokens, Huawei id_tokens) with jose against the
 * provider's JWKS: fetched on first use, cached 10 minutes, refetched (at most every 30 s) when a
 * token names a key it does not know, so a key rotation needs no restart. The JWKS URL is resolved
 * lazily because in the sandbox it is this process's own port.
 */
export class IdTokenVerifier {
  private jwks?: { url: string; keySet: ReturnType<typeof createRemoteJWKSet> };

  constructor(
    private readonly provider: ProviderName,
    private readonly jwksUrl: () => string,
    private readonly calls: ProviderCalls,
  ) {}

  async verify(token: string, options: JWTVerifyOptions): Promise<JWTPayload> {
    if (!isClientToken(token, 8192) || token.length === 0) {
      throw new ProviderRejectedError(this.provider, 'not a JWT');
    }
    try {
      const { payload } = await jwtVerify(token, this.keySet(), options);
      return payload;
    } catch (error) {
      if (error instanceof ProviderUnavailableError || error instanceof ProviderRejectedError) throw error;
      const code = (error as { code?: string })?.code;
      if (code && TOKEN_FAULTS.has(code)) throw new ProviderRejectedError(this.provider, code);
      if (error instanceof errors.JWKSTimeout) throw new ProviderUnavailableError(this.provider, 'timeout', 'keys');
      if (error instanceof errors.JWKSInvalid) throw new ProviderUnavailableError(this.provider, 'malformed', 'keys');
      if (error instanceof errors.JOSEError) throw new ProviderUnavailableError(this.provider, 'http', 'keys');
      throw classifyFetchError(this.provider, error);
    }
  }

  // One key set per URL: in the sandbox the URL follows the port the service listens on right now.
  private keySet(): ReturnType<typeof createRemoteJWKSet> {
    const url = this.jwksUrl();
    if (this.jwks?.url !== url) {
      const keySet = createRemoteJWKSet(new URL(url), {
        timeoutDuration: this.calls.timeoutMs,
        cacheMaxAge: CACHE_MAX_AGE_MS,
        cooldownDuration: COOLDOWN_MS,
        [customFetch]: (target, init) => this.fetchKeys(target, init),
      });
      this.jwks = { url, keySet };
    }
    return this.jwks.keySet;
  }

  // Every key fetch goes through the outbound kit's pool and is counted; a garbled answer is told
  // apart from an unreachable server. The kit's per-call timeout applies, and jose's signal too.
  private async fetchKeys(url: string, init: RequestInit): Promise<Response> {
    const signal = init.signal ?? new AbortController().signal;
    const { status, body, started } = await this.calls.fetchJson(this.provider, 'keys', url, { method: 'GET' }, signal);
    if (status !== 200) {
      this.calls.report(this.provider, 'keys', `http_${status}`, started);
      throw new ProviderUnavailableError(this.provider, 'http', `keys ${status}`);
    }
    if (!body) {
      this.calls.report(this.provider, 'keys', 'malformed', started);
      throw new ProviderUnavailableError(this.provider, 'malformed', 'keys');
    }
    this.calls.report(this.provider, 'keys', 'ok', started);
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  }
}
