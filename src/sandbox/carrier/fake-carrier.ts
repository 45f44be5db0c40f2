import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FakeClock,
  FakeInputError,
  FakeProviderServer,
  Json,
  optionalString,
  readBody,
  requireString,
  sendJson,
} from '../fake-kit';

/**
 * A fake of Alibaba Cloud's number-authentication API (Dypnsapi 2017-05-25), speaking what the
 * official SDK (v2, on @alicloud/openapi-core) sends: `POST /?AccessToken=…` with x-acs-action
 * GetMobile, x-acs-version 2017-05-25 and a V3 signature (Authorization: ACS3-HMAC-SHA256 over the
 * canonical request: method, path, sorted query, signed headers, body hash). It checks the
 * AccessKey, the signature, the body hash, the x-acs-date window and nonce reuse,
 * answers `{Code: "OK", GetMobileResultDTO: {Mobile}}` for a live token (single use, the carrier's
 * lifetime on the sandbox clock) and `isv.TOKEN_INVALID` otherwise. Under /sandbox/carrier in
 * sandbox mode, or alone (main.ts).
 */

export const CARRIER_FAKE_ENDPOINTS = ['getmobile'] as const;

export interface FakeCarrierOptions {
  accessKeyId: string;
  accessKeySecret: string;
  now?: () => number;
}

export type CarrierNetwork = 'CMCC' | 'CUCC' | 'CTCC';

// How long each carrier's token lives (China Mobile 2 minutes, Unicom 30, Telecom 10).
const TOKEN_TTL_SECONDS: Record<CarrierNetwork, number> = { CMCC: 120, CUCC: 1800, CTCC: 600 };
const TIMESTAMP_WINDOW_MS = 15 * 60_000;

const MESSAGES: Record<string, string> = {
  OK: 'OK',
  'isv.TOKEN_INVALID': 'token invalid',
  'isv.OUT_OF_SERVICE': 'the service is suspended: check the account balance',
  'isp.SYSTEM_ERROR': 'system error',
  'Throttling.User': 'Request was denied due to user flow control.',
  SignatureDoesNotMatch: 'Specified signature is not matched with our calculation.',
  'InvalidAccessKeyId.NotFound': 'Specified access key is not found.',
  SignatureNonceUsed: 'Specified signature nonce was used already.',
  'InvalidTimeStamp.Expired': 'Specified time stamp or date value is expired.',
  MissingAccessToken: 'AccessToken is mandatory for this action.',
  'InvalidAction.NotFound': 'Specified api is not found, please check your url and method.',
};

export class FakeCarrierServer extends FakeProviderServer {
  private readonly tokens = new Map<string, { phone: string; expiresAt: number; usedAt?: number }>();
  private readonly nonces = new Set<string>();

  constructor(private readonly options: FakeCarrierOptions) {
    super(new FakeClock(options.now), CARRIER_FAKE_ENDPOINTS);
  }

  /** The user confirmed the masked number in the carrier's sheet: a one-time token for that SIM. */
  issueToken(phone: string, network: CarrierNetwork = 'CMCC'): { token: string; expiresInSeconds: number } {
    if (!/^(\+?86)?1\d{10}$/.test(phone)) throw new FakeInputError('phone must be a mainland mobile number');
    if (!(network in TOKEN_TTL_SECONDS)) throw new FakeInputError('carrier must be CMCC, CUCC or CTCC');
    const token = `STS.${randomBytes(24).toString('base64url')}`;
    const ttl = TOKEN_TTL_SECONDS[network];
    this.tokens.set(token, { phone: phone.replace(/^\+?86/, ''), expiresAt: this.clock.now() + ttl * 1000 });
    return { token, expiresInSeconds: ttl };
  }

  override reset(): void {
    super.reset();
    this.tokens.clear();
    this.nonces.clear();
  }

  protected async api(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
    const action = header(req, 'x-acs-action');
    if (path !== '/' || !action) return false;
    const payload = await rawBody(req);
    const answer = (status: number, code: string, extra: Json = {}): true => {
      sendJson(res, status, {
        RequestId: randomUUID().toUpperCase(),
        Code: code,
        Message: MESSAGES[code] ?? code,
        ...extra,
      });
      return true;
    };
    if (action !== 'GetMobile' || header(req, 'x-acs-version') !== '2017-05-25') {
      return answer(404, 'InvalidAction.NotFound');
    }
    this.record('GetMobile');
    const accessToken = url.searchParams.get('AccessToken') ?? undefined;
    const { applied, fault } = await this.applyFault('getmobile', res, (f) => ({
      status: f.error!.startsWith('Throttling') ? 400 : 200,
      body: JSON.stringify({
        RequestId: randomUUID().toUpperCase(),
        Code: f.error,
        Message: MESSAGES[f.error!] ?? f.error,
      }),
    }));
    if (applied) {
      // GetMobile was billed and the token spent when the answer was lost or garbled.
      if (fault?.drop || fault?.malformed) this.spend(accessToken);
      return true;
    }
    const refusal = this.authenticate(req, url, payload);
    if (refusal) return answer(refusal.status, refusal.code);
    if (!accessToken) return answer(400, 'MissingAccessToken');
    const record = this.tokens.get(accessToken);
    if (!record || record.usedAt !== undefined || record.expiresAt <= this.clock.now()) {
      return answer(200, 'isv.TOKEN_INVALID');
    }
    record.usedAt = this.clock.now();
    return answer(200, 'OK', { GetMobileResultDTO: { Mobile: record.phone } });
  }

  protected async userSide(req: IncomingMessage, res: ServerResponse, route: string): Promise<boolean> {
    if (route !== 'POST /token') return false;
    const body = await readBody(req);
    const network = optionalString(body, 'carrier') as CarrierNetwork | undefined;
    sendJson(res, 200, this.issueToken(requireString(body, 'phone'), network));
    return true;
  }

  // Alibaba Cloud's V3 request signature (ACS3-HMAC-SHA256), which the SDK sends in Authorization.
  private authenticate(
    req: IncomingMessage,
    url: URL,
    payload: Buffer | null,
  ): { status: number; code: string } | null {
    const match = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(
      header(req, 'authorization') ?? '',
    );
    if (!match) return { status: 400, code: 'SignatureDoesNotMatch' };
    const [, accessKeyId, signedList, given] = match;
    if (accessKeyId !== this.options.accessKeyId) return { status: 404, code: 'InvalidAccessKeyId.NotFound' };
    const signedHeaders = signedList.split(';');
    const contentHash = header(req, 'x-acs-content-sha256') ?? '';
    const mustSign = [
      'host',
      'x-acs-action',
      'x-acs-version',
      'x-acs-date',
      'x-acs-signature-nonce',
      'x-acs-content-sha256',
    ];
    if (mustSign.some((name) => !signedHeaders.includes(name))) return { status: 400, code: 'SignatureDoesNotMatch' };
    if (payload && createHash('sha256').update(payload).digest('hex') !== contentHash) {
      return { status: 400, code: 'SignatureDoesNotMatch' };
    }
    const expected = v3Signature(
      req.method ?? 'GET',
      Object.fromEntries(url.searchParams),
      Object.fromEntries(signedHeaders.map((name) => [name, header(req, name) ?? ''])),
      contentHash,
      this.options.accessKeySecret,
    );
    if (!timingSafeEqual(Buffer.from(given), Buffer.from(expected)))
      return { status: 400, code: 'SignatureDoesNotMatch' };
    // The request's own time is checked against real time: the sandbox clock moves token lifetimes only.
    const at = Date.parse(header(req, 'x-acs-date') ?? '');
    if (!Number.isFinite(at) || Math.abs(Date.now() - at) > TIMESTAMP_WINDOW_MS) {
      return { status: 400, code: 'InvalidTimeStamp.Expired' };
    }
    const nonce = header(req, 'x-acs-signature-nonce');
    if (!nonce || this.nonces.has(nonce)) return { status: 400, code: 'SignatureNonceUsed' };
    this.nonces.add(nonce);
    return null;
  }

  private spend(token: string | undefined): void {
    const record = token ? this.tokens.get(token) : undefined;
    if (record && record.usedAt === undefined) record.usedAt = this.clock.now();
  }
}

/** Alibaba Cloud's V3 signature: hex HMAC-SHA256 over "ACS3-HMAC-SHA256\n" + hex SHA-256 of the canonical request. */
export function v3Signature(
  method: string,
  query: Record<string, string>,
  signedHeaders: Record<string, string>,
  contentHash: string,
  secret: string,
): string {
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((key) => `${rfc3986(key)}=${rfc3986(query[key])}`)
    .join('&');
  const names = Object.keys(signedHeaders).sort();
  const canonicalHeaders = names.map((name) => `${name}:${signedHeaders[name].trim()}\n`).join('');
  const canonicalRequest = [
    method.toUpperCase(),
    '/',
    canonicalQuery,
    canonicalHeaders,
    names.join(';'),
    contentHash,
  ].join('\n');
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

// The body as sent, for its hash; null when Express has already consumed it (mounted in the service).
async function rawBody(req: IncomingMessage): Promise<Buffer | null> {
  if (req.readableEnded || (req as IncomingMessage & { _body?: boolean })._body) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
