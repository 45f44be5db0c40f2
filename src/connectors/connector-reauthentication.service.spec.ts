import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import type { IdentitiesService } from '../identities/identities.service';
import type { IdentityEntity } from '../identities/identity.entity';
import type { VerifiedIdentity } from '../identities/verified-identity';
import type { CodeExchangesService } from './code-exchanges.service';
import type { ConnectorRegistry } from './connector-registry';
import { ConnectorReauthentication, REAUTH_FRESH_MS } from './connector-reauthentication.service';
import type { ConnectorVerification, HttpPair } from './connector-verification.service';

const HTTP = {} as HttpPair;
const CALLER = { userId: 'user-1', deviceId: 'device-1' };
const APPLE_PROOF = { provider: 'apple' as const, identityToken: 't', authorizationCode: 'c', nonce: 'n' };

function verified(overrides: Partial<VerifiedIdentity> = {}): VerifiedIdentity {
  return {
    provider: 'apple',
    appId: 'com.example.app',
    subject: 'sub-1',
    unionid: null,
    channel: null,
    profile: {},
    ...overrides,
  };
}

function identity(overrides: Partial<IdentityEntity>): IdentityEntity {
  return {
    id: 'i1',
    provider: 'apple',
    appId: 'com.example.app',
    subject: 'sub-1',
    unionid: null,
    ...overrides,
  } as IdentityEntity;
}

function setUp(authorize: jest.Mock, own: IdentityEntity[] = []) {
  const clock = new Clock(true);
  const connector = { name: 'apple', provider: 'apple' };
  const registry = { connectorOf: jest.fn().mockReturnValue(connector) } as unknown as ConnectorRegistry;
  const exchanges = { fail: jest.fn().mockResolvedValue(undefined), complete: jest.fn().mockResolvedValue(undefined) };
  const identities = { forUser: jest.fn().mockResolvedValue(own) } as unknown as IdentitiesService;
  const service = new ConnectorReauthentication(
    registry,
    { authorize } as unknown as ConnectorVerification,
    exchanges as unknown as CodeExchangesService,
    identities,
    clock,
  );
  return { service, exchanges, clock, registry };
}

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('ConnectorReauthentication.verify', () => {
  it('claims the code for the caller, as a link would (a state must be theirs)', async () => {
    const authorize = jest
      .fn()
      .mockResolvedValue({ kind: 'fresh', exchangeId: 'x1', answer: { verified: verified() } });
    const { service } = setUp(authorize);
    const proof = await service.verify(APPLE_PROOF, CALLER, HTTP);
    expect(proof).toEqual({ verified: verified(), exchangeId: 'x1' });
    expect(authorize).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'apple' }),
      { identityToken: 't', authorizationCode: 'c', nonce: 'n', deviceId: 'device-1' },
      { kind: 'link', userId: 'user-1' },
      HTTP,
    );
  });

  it.each([
    [ErrorCode.PROVIDER_TOKEN_INVALID, ErrorCode.REAUTH_PROOF_INVALID],
    [ErrorCode.STATE_INVALID, ErrorCode.REAUTH_PROOF_INVALID],
    [ErrorCode.WECHAT_CODE_INVALID, ErrorCode.REAUTH_PROOF_INVALID],
    [ErrorCode.PROVIDER_UNAVAILABLE, ErrorCode.PROVIDER_UNAVAILABLE],
    [ErrorCode.BAD_USER_INPUT, ErrorCode.BAD_USER_INPUT],
  ])('the verification failing with %s answers %s', async (thrown, answered) => {
    const { service } = setUp(jest.fn().mockRejectedValue(new DomainError(thrown)));
    expect(await codeOf(service.verify(APPLE_PROOF, CALLER, HTTP))).toBe(answered);
  });

  it('a code seen before proves nothing', async () => {
    const { service } = setUp(jest.fn().mockResolvedValue({ kind: 'known', record: { status: 'done' } }));
    expect(await codeOf(service.verify(APPLE_PROOF, CALLER, HTTP))).toBe(ErrorCode.REAUTH_PROOF_INVALID);
  });

  it(`an Apple sign-in older than ${REAUTH_FRESH_MS / 60000} minutes is not fresh, and its code is settled failed`, async () => {
    const authorize = jest.fn();
    const { service, exchanges, clock } = setUp(authorize);
    const signedInAt = clock.now();
    authorize.mockResolvedValue({
      kind: 'fresh',
      exchangeId: 'x1',
      answer: { verified: verified({ authenticatedAt: signedInAt }) },
    });
    clock.advance(REAUTH_FRESH_MS / 1000 - 1);
    await expect(service.verify(APPLE_PROOF, CALLER, HTTP)).resolves.toMatchObject({ exchangeId: 'x1' });
    expect(exchanges.fail).not.toHaveBeenCalled();
    clock.advance(2);
    expect(await codeOf(service.verify(APPLE_PROOF, CALLER, HTTP))).toBe(ErrorCode.REAUTH_PROOF_INVALID);
    expect(exchanges.fail).toHaveBeenCalledWith('x1', ErrorCode.REAUTH_PROOF_INVALID, null);
  });
});

describe('ConnectorReauthentication.confirm', () => {
  const manager = {} as EntityManager;

  it.each([
    ['the same provider, app and subject is theirs', identity({}), verified(), true],
    ['another subject of the same app is not', identity({ subject: 'sub-2' }), verified(), false],
    [
      'another app of the provider, same unionid',
      identity({ provider: 'wechat', appId: 'wx1', subject: 'o1', unionid: 'u1' }),
      verified({ provider: 'wechat', appId: 'wx2', subject: 'o2', unionid: 'u1' }),
      true,
    ],
    [
      'another app of the provider, no unionid',
      identity({ provider: 'wechat', appId: 'wx1', subject: 'o1', unionid: null }),
      verified({ provider: 'wechat', appId: 'wx2', subject: 'o2', unionid: null }),
      false,
    ],
    ['another provider with the same subject is not', identity({ provider: 'huawei' }), verified(), false],
  ])('%s', async (_name, own, proof, theirs) => {
    const { service, exchanges } = setUp(jest.fn(), [own]);
    const confirmed = service.confirm(manager, { verified: proof, exchangeId: 'x1' }, 'user-1');
    if (theirs) {
      await expect(confirmed).resolves.toBe(own);
      expect(exchanges.complete).toHaveBeenCalledWith(manager, 'x1', {
        outcome: 'reauth',
        identityId: own.id,
        userId: 'user-1',
        sessionId: null,
      });
    } else {
      expect(await codeOf(confirmed)).toBe(ErrorCode.REAUTH_PROOF_INVALID);
      expect(exchanges.complete).not.toHaveBeenCalled();
    }
  });
});
