import { Injectable, OnModuleInit } from '@nestjs/common';
import { KeyObject, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, JWK } from 'jose';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config.service';

export interface AccessClaims {
  sub: string;
  sid: string;
  roles: string[];
}

interface VerificationKey {
  kid: string;
  alg: 'ES256' | 'EdDSA';
  publicKey: KeyObject;
  jwk: JWK;
  /** The protected header this service writes for the key, base64url: a token's first part, as sent. */
  header: string;
}

const MAX_TOKEN_LENGTH = 4096;
// Clocks of other instances may run a little ahead of ours.
const CLOCK_SKEW_SECONDS = 60;

/** Access tokens whose signature was checked, remembered until they expire (oldest out first). */
const VERIFIED_CACHE_SIZE = 5000;

/**
 * Signs access tokens with the asymmetric SESSION_SIGNING_KEY (ES256 or EdDSA) and publishes every
 * key that may verify them, so that other backends check tokens from /.well-known/jwks.json alone.
 */
@Injectable()
export class TokenSigner implements OnModuleInit {
  private readonly issuer: string;
  private readonly audience: string;
  private readonly ttlSeconds: number;
  private signing!: VerificationKey;
  private signingKey!: KeyObject;
  private keys: VerificationKey[] = [];
  private readonly verified = new Map<string, { claims: AccessClaims; exp: number }>();

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    const session = config.get('session');
    this.issuer = session.issuer;
    this.audience = session.audience;
    this.ttlSeconds = session.accessTtlSeconds;
  }

  async onModuleInit(): Promise<void> {
    const session = this.config.get('session');
    this.signingKey = session.signingKey;
    this.signing = await describeKey(createPublicKey(session.signingKey));
    const older = await Promise.all(session.verifyKeys.map((key) => describeKey(key)));
    this.keys = [this.signing, ...older.filter((k) => k.kid !== this.signing.kid)];
  }

  /**
   * A compact JWS (RFC 7515/7519) made with node:crypto and the key objects built once at start:
   * ES256 signatures in the JOSE form (r || s, IEEE P1363), EdDSA over Ed25519.
   */
  async sign(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }> {
    const nowSeconds = Math.floor(this.clock.nowMs() / 1000);
    const exp = nowSeconds + this.ttlSeconds;
    const payload = base64url(
      JSON.stringify({
        sid: claims.sid,
        roles: claims.roles,
        iss: this.issuer,
        aud: this.audience,
        sub: claims.sub,
        iat: nowSeconds,
        exp,
      }),
    );
    const input = `${this.signing.header}.${payload}`;
    const signature = signWith(this.signing.alg, this.signingKey, input);
    return { token: `${input}.${signature}`, expiresAt: new Date(exp * 1000) };
  }

  /**
   * The claims of a token we signed and that has not expired; null for anything else. A signature
   * checked once is remembered until the token expires (a bounded map): it is a pure function of
   * the token and the keys, so remembering it changes no answer. Whether the session is still live
   * is never remembered: SessionsService.authenticate asks the database on every request.
   */
  async verify(token: string): Promise<AccessClaims | null> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
    const known = this.verified.get(token);
    if (known) {
      if (known.exp > Math.floor(this.clock.nowMs() / 1000)) return known.claims;
      this.verified.delete(token);
      return null;
    }
    const checked = this.check(token);
    if (checked) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, checked);
    }
    return checked?.claims ?? null;
  }

  private check(token: string): { claims: AccessClaims; exp: number } | null {
    try {
      const parts = token.split('.');
      if (parts.length !== 3) return null;
      const key = this.keyFor(parts[0]);
      if (!key) return null;
      if (!verifyWith(key.alg, key.publicKey, `${parts[0]}.${parts[1]}`, parts[2])) return null;
      const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
      if (typeof payload !== 'object' || payload === null) return null;
      const now = Math.floor(this.clock.nowMs() / 1000);
      const { iss, aud, sub, sid, exp, iat, nbf } = payload;
      if (iss !== this.issuer) return null;
      // Ours have exactly one audience and live accessTtlSeconds: anything else was not made by sign().
      if (aud !== this.audience) return null;
      if (typeof sub !== 'string' || typeof sid !== 'string') return null;
      if (typeof exp !== 'number' || exp <= now || typeof iat !== 'number') return null;
      if (
        iat > now + CLOCK_SKEW_SECONDS ||
        exp - iat > this.ttlSeconds ||
        exp > now + this.ttlSeconds + CLOCK_SKEW_SECONDS
      )
        return null;
      if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now)) return null;
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      return { claims: { sub, sid, roles }, exp };
    } catch {
      return null;
    }
  }

  /**
   * The key a token's protected header names. The headers this service writes are matched as
   * text; any other header is parsed and must name a known key with its algorithm and nothing
   * this verifier does not understand (`crit`, unencoded payloads).
   */
  private keyFor(headerPart: string): VerificationKey | null {
    for (const key of this.keys) if (key.header === headerPart) return key;
    const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof header !== 'object' || header === null || 'crit' in header || 'b64' in header) return null;
    const key = this.keys.find((k) => k.kid === header.kid);
    return key && header.alg === key.alg ? key : null;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.jwk) };
  }
}

async function describeKey(publicKey: KeyObject): Promise<VerificationKey> {
  const alg = publicKey.asymmetricKeyType === 'ed25519' ? 'EdDSA' : 'ES256';
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const header = base64url(JSON.stringify({ alg, kid, typ: 'JWT' }));
  return { kid, alg, publicKey, jwk: { ...jwk, kid, alg, use: 'sig' }, header };
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function signWith(alg: VerificationKey['alg'], key: KeyObject, input: string): string {
  const data = Buffer.from(input, 'utf8');
  const signature =
    alg === 'ES256' ? cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) : cryptoSign(null, data, key);
  return signature.toString('base64url');
}

function verifyWith(alg: VerificationKey['alg'], key: KeyObject, input: string, signature: string): boolean {
  const data = Buffer.from(input, 'utf8');
  const sig = Buffer.from(signature, 'base64url');
  if (alg === 'ES256') {
    return sig.length === 64 && cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  }
  return sig.length === 64 && cryptoVerify(null, data, key, sig);
}
