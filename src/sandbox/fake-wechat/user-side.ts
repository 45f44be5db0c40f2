// What the person does on their side of WeChat, played by tests and the sandbox: approve a login, open a
// mini program (wx.login), press its phone button; and what they change: password, profile.
import { FakeInputError, openidFor } from './fake-wechat.http';
import type { FakeWechatState } from './fake-wechat.state';
import type { AppRecord, WechatChannel } from './fake-wechat.types';

export interface AuthorizeInput {
  appid: string;
  state?: string;
  person?: string;
  nickname?: string;
  withoutUnionid?: boolean;
  scope?: string;
  /** Official accounts: the person is on the snapshot page (快照页) and has not interacted. */
  snapshot?: boolean;
}

export interface Authorization {
  code: string;
  state?: string;
  openid: string;
  /** Only for apps bound to the Open Platform. */
  unionid?: string;
}

const DEFAULT_SCOPE: Record<WechatChannel, string> = {
  app: 'snsapi_userinfo',
  official_account: 'snsapi_userinfo',
  website: 'snsapi_login',
  mini_program: '',
};

export class WechatUserSide {
  constructor(private readonly state: FakeWechatState) {}

  /** The person approved the login in WeChat (app, official-account page, or website QR): a code. */
  authorize(input: AuthorizeInput): Authorization {
    const app = this.knownApp(input.appid);
    if (app.channel === 'mini_program') throw new FakeInputError('a mini program logs in with /miniprogram/login');
    if (input.snapshot && app.channel !== 'official_account') {
      throw new FakeInputError('only an official account page is shown as a snapshot');
    }
    const person = this.state.person(input.person ?? this.state.anonymousLabel(), input.nickname);
    const code = this.state.issueCode({
      kind: 'oauth',
      appid: app.appId,
      person: person.label,
      scope: input.scope ?? DEFAULT_SCOPE[app.channel],
      withoutUnionid: input.withoutUnionid === true,
      ...(input.snapshot ? { snapshot: true, scope: 'snsapi_base' } : {}),
    });
    if (input.snapshot) return { code, state: input.state, openid: snapshotOpenid(app.appId, person.label) };
    return {
      code,
      state: input.state,
      openid: openidFor(app.appId, person.label),
      unionid: this.state.unionidFor(app.appId, person.label),
    };
  }

  /** wx.login() inside the mini program: a js code for jscode2session. */
  miniProgramLogin(input: { appid: string; person?: string; withoutUnionid?: boolean; highRisk?: boolean }): {
    code: string;
    openid: string;
    unionid?: string;
  } {
    const app = this.miniProgram(input.appid);
    const person = this.state.person(input.person ?? this.state.anonymousLabel());
    const code = this.state.issueCode({
      kind: 'js',
      appid: app.appId,
      person: person.label,
      withoutUnionid: input.withoutUnionid === true,
      highRisk: input.highRisk === true,
    });
    return {
      code,
      openid: openidFor(app.appId, person.label),
      unionid: this.state.unionidFor(app.appId, person.label),
    };
  }

  /** The person pressed the mini program's phone button and allowed it: a code for getuserphonenumber. */
  phoneCode(input: { appid: string; person?: string; phone: string; countryCode?: string }): { phoneCode: string } {
    const app = this.miniProgram(input.appid);
    const person = this.state.person(input.person ?? this.state.anonymousLabel());
    const phoneCode = this.state.issueCode({
      kind: 'phone',
      appid: app.appId,
      person: person.label,
      phone: parsePhone(input.phone, input.countryCode),
    });
    return { phoneCode };
  }

  /** The app joins the Open Platform account: from now on its answers carry unionid. */
  bindOpenPlatform(appid: string): { appId: string; channel: WechatChannel; openPlatform: boolean } {
    const app = this.knownApp(appid);
    app.openPlatform = true;
    return { appId: app.appId, channel: app.channel, openPlatform: true };
  }

  /** The person changed their WeChat password: every token issued so far answers 42007. */
  resetCredentials(label: string): void {
    const person = this.state.persons.get(label);
    if (!person) throw new FakeInputError('unknown person');
    person.credentialsResetAt = this.state.now() + 1;
  }

  updateProfile(label: string, profile: { nickname?: string; avatarUrl?: string }): void {
    const person = this.state.persons.get(label);
    if (!person) throw new FakeInputError('unknown person');
    if (profile.nickname !== undefined) person.nickname = profile.nickname;
    if (profile.avatarUrl !== undefined) person.avatarUrl = profile.avatarUrl;
  }

  private knownApp(appid: string): AppRecord {
    const app = this.state.app(appid);
    if (!app) throw new FakeInputError('unknown appid');
    return app;
  }

  private miniProgram(appid: string): AppRecord {
    const app = this.knownApp(appid);
    if (app.channel !== 'mini_program') throw new FakeInputError('appid is not a mini program');
    return app;
  }
}

/** The virtual openid WeChat gives a snapshot-page visitor: not the person's real one. */
export function snapshotOpenid(appid: string, person: string): string {
  return openidFor(appid, `snapshot:${person}`);
}

// "13800138000" and "+8613800138000" are mainland numbers; others need their country code.
function parsePhone(phone: string, countryCode?: string): { purePhoneNumber: string; countryCode: string } {
  if (countryCode !== undefined) {
    if (!/^\d{1,4}$/.test(countryCode)) throw new FakeInputError('countryCode must be 1 to 4 digits');
    if (!/^\d{4,15}$/.test(phone)) throw new FakeInputError('phone must be digits when countryCode is given');
    return { purePhoneNumber: phone, countryCode };
  }
  const mainland = /^(?:\+86)?(1\d{10})$/.exec(phone);
  if (!mainland) throw new FakeInputError('phone must be a mainland mobile number, or give countryCode');
  return { purePhoneNumber: mainland[1], countryCode: '86' };
}
