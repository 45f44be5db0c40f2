import type { Request } from 'express';
import { PassportStrategy } from '@nestjs/passport';
import type passport from 'passport';
import type { EntityManager } from 'typeorm';
import type { Platform } from '../common/enums';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { toProviderDomainError } from '../providers/provider-errors';
import type { RevocableIdentity } from '../identities/identity-revocations';
import type { IdentityProviderName, VerifiedIdentity } from '../identities/verified-identity';

/** What one verification is asked: what the client brought, for one configured app of the provider. */
export interface VerifyRequest<Input = unknown> {
  input: Input;
  /** The app the code or token is for (WeChat AppID, Apple bundle id, ...), resolved by the login service. */
  appId: string;
  /** What an earlier try of this same code already got from the provider (VerificationIncomplete). */
  resumed?: unknown;
}

/** A verified identity, plus the user grant to keep when the provider gives one. */
export interface ConnectorAnswer {
  verified: VerifiedIdentity;
  grant: unknown;
}

/** The error codes a provider answers with; WeChat's are the contract's WECHAT_* ones. */
export interface ConnectorErrors {
  codeInvalid: ErrorCode;
  unavailable: ErrorCode;
  /** Failures after which the same device may try the same code again (the provider may not have used it). */
  retryable: readonly ErrorCode[];
}

export const PROVIDER_ERRORS: ConnectorErrors = {
  codeInvalid: ErrorCode.PROVIDER_TOKEN_INVALID,
  unavailable: ErrorCode.PROVIDER_UNAVAILABLE,
  retryable: [ErrorCode.PROVIDER_UNAVAILABLE],
};

/**
 * The provider took the code but a later step failed: `kept` (its tokens) is sealed on the code's
 * record so that a retry from the same device resumes without spending the code again.
 */
export class VerificationIncomplete extends Error {
  constructor(
    readonly kept: unknown,
    override readonly cause: unknown,
  ) {
    super('a provider verification failed after the provider accepted the code');
    this.name = 'VerificationIncomplete';
  }
}

/** A provider's own error mapping, with anything it does not know kept an internal error. */
export function mapOrInternal(map: (error: unknown) => DomainError, error: unknown): DomainError {
  try {
    return map(error);
  } catch {
    return new DomainError(ErrorCode.INTERNAL);
  }
}

/** A single-use code as the client must send it: a non-empty string of bounded length. */
export function requireCode(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength) {
    throw DomainError.badInput(field, 'not an authorization code');
  }
  return value;
}

type Done = (error: unknown, answer?: ConnectorAnswer | false) => void;
type VerifyCallback = (raw: unknown, done: Done) => void;

/**
 * The base of every login connector, on Passport's own strategy contract. `verify` makes the
 * provider's calls; the Passport verify callback (the connector's `validate`) maps their answer to
 * the one verified identity. Each connector registers itself with Passport under its id (Nest's
 * PassportStrategy mixin): Passport's registry is the only registry.
 */
export class ConnectorStrategy {
  /** The Passport name: `passport.use(this)` registers under it. */
  declare name: string;
  declare readonly provider: IdentityProviderName;
  /** How a code for this provider is answered when bad, unreachable, or worth retrying. */
  readonly errors: ConnectorErrors = PROVIDER_ERRORS;
  /** Whether its codes come back with a state we issued (web redirects, WeChat's SDK), checked by policy. */
  readonly usesState: boolean = false;
  /** A code seen before: answered again for the same device (idempotent retry), or refused (mini programs). */
  readonly replays: 'answer' | 'refuse' = 'answer';
  // Set by Passport on the per-request instance.
  declare success: (user: unknown, info?: unknown) => void;
  declare error: (error: unknown) => void;

  constructor(
    id: string,
    protected readonly registry: { passport: passport.Authenticator },
    private readonly verifyCallback: VerifyCallback,
  ) {
    this.name = id;
  }

  /** The provider's calls for one request. Each connector writes its own. */
  protected verify(_request: VerifyRequest): Promise<unknown> {
    return Promise.reject(new Error(`${this.constructor.name} has no verify`));
  }

  /** The configured app a request is for (`named` is the caller's choice); null when none is configured. */
  appFor(_named: string | null): string | null {
    return null;
  }

  /** The single-use code in the input, when it has one: the login service keeps one record per code. */
  codeOf(_input: unknown): string | null {
    return null;
  }

  /**
   * A provider's own failure as the client sees it: a catalogue code, nothing of the provider's body
   * (the PROVIDER_* family; WeChat's connectors answer the contract's WECHAT_* codes instead).
   */
  toDomainError(error: unknown): DomainError {
    return mapOrInternal(toProviderDomainError, error);
  }

  /** Keeps the answer's grant in the login's transaction (WeChat's user tokens); nothing by default. */
  keepGrant(_manager: EntityManager, _identityId: string, _answer: ConnectorAnswer, _known: unknown): Promise<void> {
    return Promise.resolve();
  }

  /** What must happen at the provider when one of its identities goes (Apple: revoke its token). */
  revoke?(identity: RevocableIdentity): Promise<void>;

  /** Where the login screen shows this connector's button, when configured (beyond WeChat, Apple and Huawei's own rules). */
  readonly loginPlatforms?: readonly Platform[];

  /** Web redirect providers other than WeChat (startProviderLogin): the app that serves the web, if configured. */
  webApp?(): string | null;

  /** Web redirect providers: the provider's authorize page for one state. */
  authorizeUrl?(appId: string, redirectUri: string, state: string): string;

  /** The redirect URIs allowed for an app that logs in by web redirect; null for an app that does not. */
  redirectUrisOf?(appId: string): readonly string[] | null;

  authenticate(_req: Request, options: VerifyRequest): void {
    this.verify(options).then(
      (raw) => this.verifyCallback(raw, (error, answer) => (error ? this.error(error) : this.success(answer))),
      (error: unknown) => this.error(error),
    );
  }
}

/**
 * What every connector extends: Nest's PassportStrategy mixin over ConnectorStrategy (the mixin wires
 * `validate` as the verify callback and registers the strategy), registering with this app's Passport
 * (ConnectorRegistry) rather than the process-wide one.
 */
export abstract class Connector extends PassportStrategy(ConnectorStrategy) {
  getPassportInstance(): passport.Authenticator {
    return this.registry.passport;
  }
}
