import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { ProviderRejectedError, ProviderUnavailableError } from '../outbound/provider-call-error';
import { OutboxHandlers } from '../outbox/outbox-handlers';
import type { OutboxRow } from '../outbox/outbox.repository';
import type { OutboxService } from '../outbox/outbox.service';
import type { IdentityEntity } from './identity.entity';
import { IDENTITY_REVOKE_KIND, IdentityRevocations, RevocableIdentity } from './identity-revocations';

const STORED: RevocableIdentity = {
  id: 'identity-1',
  provider: 'apple',
  appId: 'com.example.app',
  secretEnc: 'ciphertext',
  secretKeyId: 'k1',
};

function message(payload: string): OutboxRow {
  const now = new Date();
  return {
    id: 'm1',
    kind: IDENTITY_REVOKE_KIND,
    type: 'apple',
    endpoint: null,
    payload,
    status: 'pending',
    attempts: 0,
    lastStatusCode: null,
    lastError: null,
    nextAttemptAt: now,
    orderingKey: null,
    createdAt: now,
    updatedAt: now,
  };
}

function setUp(revoke?: jest.Mock) {
  const add = jest.fn().mockResolvedValue(['m1']);
  const handlers = new OutboxHandlers();
  const revocations = new IdentityRevocations({ add } as unknown as OutboxService, handlers);
  revocations.onModuleInit();
  if (revoke) revocations.register('apple', revoke);
  return { revocations, add, handlers };
}

describe('IdentityRevocations', () => {
  it('writes one message per removed identity its provider revokes, with the secret as stored', async () => {
    const { revocations, add } = setUp(jest.fn());
    const identities = [
      { ...STORED, subject: 's', userId: 'u' },
      // No revoker for WeChat; an Apple identity without a secret has nothing to revoke.
      { ...STORED, id: 'identity-2', provider: 'wechat' },
      { ...STORED, id: 'identity-3', secretEnc: null },
    ] as IdentityEntity[];
    await revocations.enqueue('target' as never, identities);
    expect(add).toHaveBeenCalledTimes(1);
    expect(add).toHaveBeenCalledWith('target', {
      kind: IDENTITY_REVOKE_KIND,
      type: 'apple',
      payload: JSON.stringify(STORED),
    });
  });

  it('is the outbox handler of its kind', () => {
    expect(setUp().handlers.kinds()).toEqual([IDENTITY_REVOKE_KIND]);
  });

  it.each([
    ['Apple answered', undefined, { ok: true }],
    [
      'Apple not answering: tried again',
      new ProviderUnavailableError('apple', 'http', '503'),
      { ok: false, error: 'http' },
    ],
    [
      'Apple not answering, as the client reports it: tried again',
      new DomainError(ErrorCode.PROVIDER_UNAVAILABLE),
      { ok: false, error: 'provider_unavailable' },
    ],
    [
      'a token Apple no longer knows: nothing to revoke',
      new DomainError(ErrorCode.PROVIDER_TOKEN_INVALID),
      { ok: false, error: 'provider_token_invalid', final: true },
    ],
    [
      'a rejection: nothing to revoke',
      new ProviderRejectedError('apple', 'invalid_grant'),
      { ok: false, error: 'rejected', final: true },
    ],
    [
      'an app no longer configured: nothing to revoke',
      new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED),
      { ok: false, error: 'provider_not_configured', final: true },
    ],
  ])('%s', async (_name, error, outcome) => {
    const revoke = jest.fn(() => (error ? Promise.reject(error) : Promise.resolve()));
    const { revocations } = setUp(revoke);
    expect(await revocations.send(message(JSON.stringify(STORED)))).toEqual(outcome);
    expect(revoke).toHaveBeenCalledWith(STORED);
  });

  it('a message it cannot read, or for a provider without a revoker, ends at once', async () => {
    const revoke = jest.fn();
    const { revocations } = setUp(revoke);
    for (const payload of [
      'not json',
      JSON.stringify({ ...STORED, provider: 'nobody' }),
      JSON.stringify({ id: 'x' }),
    ]) {
      expect(await revocations.send(message(payload))).toEqual({ ok: false, error: 'no_revoker', final: true });
    }
    expect(await setUp().revocations.send(message(JSON.stringify(STORED)))).toEqual({
      ok: false,
      error: 'no_revoker',
      final: true,
    });
    expect(revoke).not.toHaveBeenCalled();
  });
});
