// Everything the fake WeChat remembers, in memory: apps, persons, codes, grants, app tokens, its clock,
// the faults waiting to fire and the calls it received.
import { createHash, randomBytes } from 'node:crypto';
import { CallLog, FakeClock, FaultQueue } from '../fake-kit';
import { openidFor, randomCode, token64 } from './fake-wechat.http';
import {
  AppRecord,
  AppToken,
  CodeRecord,
  DEFAULT_SETTINGS,
  FakeCall,
  FakeFault,
  FakeSettings,
  FakeWechatOptions,
  Grant,
  Person,
  QrTicket,
  WechatChannel,
} from './fake-wechat.types';

const NICKNAMES = ['微信用户', '小龙虾🦞', 'Lucky☘️', '熊猫🐼', '夏天', 'Mr.Wang'];

export class FakeWechatState {
  readonly settings: FakeSettings;
  readonly apps = new Map<string, AppRecord>();
  readonly persons = new Map<string, Person>();
  /** Every single-use code, of every kind, by its value. */
  readonly codes = new Map<string, CodeRecord>();
  readonly grants = new Map<string, Grant>();
  readonly byAccessToken = new Map<string, Grant>();
  readonly byRefreshToken = new Map<string, Grant>();
  /** App-level tokens from stable_token, by value, and the newest per app. */
  readonly appTokens = new Map<string, AppToken>();
  readonly currentAppToken = new Map<string, AppToken>();
  /** When each app force-refreshed its app token (45009 rules). */
  readonly forceRefreshes = new Map<string, number[]>();
  /** When each (appid, person) exchanged a js code (45011 rule). */
  readonly jscodeExchanges = new Map<string, number[]>();
  /** Successful getuserphonenumber calls per app: what WeChat bills. */
  readonly billedPhoneNumbers = new Map<string, number>();
  /** Parametric QR codes by ticket, and who follows which official account (`appid person`). */
  readonly qrTickets = new Map<string, QrTicket>();
  readonly followers = new Set<string>();
  readonly faults = new FaultQueue<FakeFault>();
  readonly callLog = new CallLog<FakeCall>();
  readonly clock = new FakeClock();

  constructor(private readonly options: FakeWechatOptions) {
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.loadApps();
  }

  now(): number {
    return this.clock.now();
  }

  advanceClock(seconds: number): number {
    return this.clock.advance(seconds);
  }

  app(appid: string | null | undefined): AppRecord | undefined {
    return appid ? this.apps.get(appid) : undefined;
  }

  /** The configured apps as the sandbox lists them (no secrets). */
  appList(): { appId: string; channel: WechatChannel; openPlatform: boolean }[] {
    return [...this.apps.values()].map(({ appId, channel, openPlatform }) => ({ appId, channel, openPlatform }));
  }

  /** The person's unionid as `appid` sees it: only through apps bound to the Open Platform. */
  unionidFor(appid: string, label: string): string | undefined {
    return this.apps.get(appid)?.openPlatform ? this.person(label).unionid : undefined;
  }

  person(label: string, nickname?: string): Person {
    let person = this.persons.get(label);
    if (!person) {
      const digest = createHash('sha256').update(`person:${label}`).digest();
      person = {
        label,
        unionid: `o${digest.toString('base64url').slice(0, 27)}`,
        nickname: nickname ?? `${NICKNAMES[digest[0] % NICKNAMES.length]}${digest[1]}`,
        avatarUrl: `http://thirdwx.qlogo.cn/mmopen/vi_32/${digest.toString('hex').slice(0, 40)}/132`,
        credentialsResetAt: 0,
      };
      this.persons.set(label, person);
    } else if (nickname !== undefined) {
      person.nickname = nickname;
    }
    return person;
  }

  /** A person nobody named: a new human each time. */
  anonymousLabel(): string {
    return `anonymous-${randomBytes(6).toString('hex')}`;
  }

  issueCode(record: Omit<CodeRecord, 'expiresAt'>): string {
    const code = randomCode();
    this.codes.set(code, { ...record, expiresAt: this.now() + this.settings.codeTtlSeconds * 1000 });
    return code;
  }

  /** A code of `kind` for `appid`, whatever its state; undefined when there is none. */
  findCode(kind: CodeRecord['kind'], appid: string | null | undefined, code: string | null | undefined) {
    const record = code ? this.codes.get(code) : undefined;
    return record && record.kind === kind && record.appid === appid ? record : undefined;
  }

  issueGrant(code: CodeRecord): Grant {
    const now = this.now();
    const grant: Grant = {
      id: randomBytes(8).toString('hex'),
      appid: code.appid,
      person: code.person,
      openid: openidFor(code.appid, code.person),
      scope: code.scope ?? 'snsapi_userinfo',
      withoutUnionid: code.withoutUnionid === true,
      accessToken: token64(),
      accessExpiresAt: now + this.settings.accessTokenTtlSeconds * 1000,
      refreshToken: token64(),
      refreshExpiresAt: now + this.settings.refreshTokenTtlSeconds * 1000,
      issuedAt: now,
    };
    this.grants.set(grant.id, grant);
    this.byAccessToken.set(grant.accessToken, grant);
    this.byRefreshToken.set(grant.refreshToken, grant);
    return grant;
  }

  credentialsReset(grant: Grant): boolean {
    return this.persons.get(grant.person)!.credentialsResetAt > grant.issuedAt;
  }

  record(call: Omit<FakeCall, 'at'>): void {
    // Recorded first: `onCall?.(…)` would skip its argument when nobody listens.
    const entry = this.callLog.record(call, this.now());
    this.options.onCall?.(entry);
  }

  /** Every code and token the fake handed out, for tests that check none leaks into logs. */
  issuedSecrets(): string[] {
    return [
      ...this.codes.keys(),
      ...this.byAccessToken.keys(),
      ...this.byRefreshToken.keys(),
      ...this.appTokens.keys(),
    ];
  }

  /** Forgets every person, code, grant, token, fault, call and switch; the apps go back to their options. */
  reset(): void {
    for (const map of [
      this.persons,
      this.codes,
      this.grants,
      this.byAccessToken,
      this.byRefreshToken,
      this.appTokens,
      this.currentAppToken,
      this.forceRefreshes,
      this.jscodeExchanges,
      this.billedPhoneNumbers,
      this.qrTickets,
    ]) {
      map.clear();
    }
    this.followers.clear();
    this.faults.clear();
    this.callLog.clear();
    this.clock.reset();
    Object.assign(this.settings, DEFAULT_SETTINGS, this.options.settings);
    this.loadApps();
  }

  private loadApps(): void {
    this.apps.clear();
    for (const app of this.options.apps) {
      this.apps.set(app.appId, {
        appId: app.appId,
        secret: app.secret,
        channel: app.channel ?? 'app',
        openPlatform: app.openPlatform ?? true,
        redirectDomains: app.redirectDomains,
        messageToken: app.messageToken,
        encodingAesKey: app.encodingAesKey ?? null,
        serviceAccount: app.serviceAccount === true,
      });
    }
  }
}
