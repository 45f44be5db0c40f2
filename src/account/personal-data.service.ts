import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { IdentitiesService } from '../identities/identities.service';
import type { IdentityEntity } from '../identities/identity.entity';
import type { IdentityProviderName } from '../identities/verified-identity';
import { isGone } from '../users/sign-in-policy';
import { UsersService } from '../users/users.service';
import { PersonalData, PersonalDataItem } from './models/personal-data.model';
import { PersonalDataRepository, SessionTrace } from './personal-data.repository';

/** The third parties, as the caller reads them. */
export const PROVIDER_LABELS: Record<IdentityProviderName, string> = {
  wechat: 'WeChat',
  apple: 'Apple',
  huawei: 'Huawei',
  qq: 'QQ',
  alipay: 'Alipay',
};
export const SMS_VENDOR = 'SMS vendor';
export const CARRIER = 'carrier';

const item = (category: string, value: string, sharedWith: string[] = []): PersonalDataItem => ({
  category,
  value,
  sharedWith,
});
const iso = (date: Date | null): string => (date ? date.toISOString() : '-');

/**
 * myPersonalData: what this service holds about the caller (China's "collected personal information"
 * list) and, per item, the third parties that received it ("shared with third parties"), derived from
 * what happened: the phone went to the SMS vendor when a code was sent to it, to the carrier when
 * one-tap was used; an identity is known to its provider. The full phone is shown: the caller owns it.
 */
@Injectable()
export class PersonalDataService {
  constructor(
    private readonly users: UsersService,
    private readonly identities: IdentitiesService,
    private readonly traces: PersonalDataRepository,
    private readonly clock: Clock,
  ) {}

  async of(userId: string): Promise<PersonalData> {
    const user = await this.users.findById(userId);
    if (!user || isGone(user)) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    const [identities, sessions, logins] = await Promise.all([
      this.identities.forUser(userId),
      this.traces.sessionsOf(userId),
      this.traces.loginsOf(userId),
    ]);
    const items: PersonalDataItem[] = [item('account', `created ${iso(user.createdAt)}, status ${user.status}`)];
    if (user.phone) items.push(item('phone', user.phone, await this.phoneSharedWith(userId, user.phone)));
    if (user.nickname) items.push(item('profile', `nickname: ${user.nickname}`));
    if (user.avatarUrl) items.push(item('profile', `avatar: ${user.avatarUrl}`));
    for (const identity of identities) items.push(...identityItems(identity));
    items.push(...deviceItems(sessions), ...sessionItems(sessions));
    for (const login of logins) {
      const method = login.action.slice('login.'.length).toUpperCase();
      items.push(item('login', `${method} at ${iso(login.createdAt)} from ${login.ip ?? 'unknown IP'}`));
    }
    return { items, generatedAt: this.clock.now() };
  }

  private async phoneSharedWith(userId: string, phone: string): Promise<string[]> {
    const used = await this.traces.phoneMethodsUsed(userId);
    const shared: string[] = [];
    if (used.sms || (await this.traces.smsCodesSentTo(phone)) > 0) shared.push(SMS_VENDOR);
    if (used.carrier) shared.push(CARRIER);
    return shared;
  }
}

function identityItems(identity: IdentityEntity): PersonalDataItem[] {
  const provider = PROVIDER_LABELS[identity.provider];
  const shared = [provider];
  const channel = identity.channel ? ` (${identity.channel})` : '';
  const items = [item('identity', `${provider} account in app ${identity.appId}${channel}`, shared)];
  if (identity.nickname) items.push(item('identity', `${provider} nickname: ${identity.nickname}`, shared));
  if (identity.avatarUrl) items.push(item('identity', `${provider} avatar: ${identity.avatarUrl}`, shared));
  if (identity.email) items.push(item('identity', `${provider} email: ${identity.email}`, shared));
  if (identity.secretEnc) {
    items.push(
      item(
        'consent',
        `${provider} credential kept encrypted, revoked at ${provider} when the account is deleted`,
        shared,
      ),
    );
  }
  return items;
}

function deviceItems(sessions: readonly SessionTrace[]): PersonalDataItem[] {
  const seen = new Map<string, SessionTrace>();
  for (const session of sessions)
    if (session.deviceId && !seen.has(session.deviceId)) seen.set(session.deviceId, session);
  return [...seen.values()].map((s) =>
    item('device', [s.deviceId, s.platform, s.userAgent].filter(Boolean).join(' · ')),
  );
}

/** One item per session (a family of rotated rows), its newest row. */
function sessionItems(sessions: readonly SessionTrace[]): PersonalDataItem[] {
  const families = new Map<string, SessionTrace>();
  for (const session of sessions) if (!families.has(session.familyId)) families.set(session.familyId, session);
  return [...families.values()].map((s) =>
    item(
      'session',
      [
        s.platform ?? 'unknown platform',
        `by ${s.loginMethod ?? 'unknown method'}`,
        `signed in ${iso(s.loginAt)}`,
        `last used ${iso(s.lastUsedAt)}`,
        `IP ${s.ip ?? 'unknown'}`,
        s.revokedAt ? `ended ${iso(s.revokedAt)}` : 'active',
      ].join(' · '),
    ),
  );
}
