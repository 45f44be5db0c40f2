import { Injectable, OnModuleInit } from '@nestjs/common';
import { KeyObject, createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, JWK, jwtVerify, SignJWT } from 'jose';
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
}

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

  async sign(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }> {
    const nowSeconds = Math.floor(this.clock.nowMs() / 1000);
    const expiresAt = new Date((nowSeconds + this.ttlSeconds) * 1000);
    const token = await new SignJWT({ sid: claims.sid, roles: claims.roles })
      .setProtectedHeader({ alg: this.signing.alg, kid: this.signing.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(claims.sub)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(expiresAt)
      .sign(this.signingKey);
    return { token, expiresAt };
  }

  /** The claims of a token we signed and that has not expired; null for anything else. */
  async verify(token: string): Promise<AccessClaims | null> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const match = this.keys.find((k) => k.kid === header.kid);
          if (!match) throw new Error('unknown kid');
          return match.publicKey;
        },
        {
          issuer: this.issuer,
          audience: this.audience,
          algorithms: ['ES256', 'EdDSA'],
          currentDate: this.clock.now(),
          requiredClaims: ['sub', 'sid', 'exp', 'iat'],
        },
      );
      if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string') return null;
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      return { sub: payload.sub, sid: payload.sid, roles };
    } catch {
      return null;
    }
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.jwk) };
  }
}

async function describeKey(publicKey: KeyObject): Promise<VerificationKey> {
  const alg = publicKey.asymmetricKeyType === 'ed25519' ? 'EdDSA' : 'ES256';
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, alg, publicKey, jwk: { ...jwk, kid, alg, use: 'sig' } };
}
