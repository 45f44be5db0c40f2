import type { IncomingMessage, ServerResponse } from 'node:http';
import { StandaloneServer } from '../fake-kit';
import type { ApiEndpoint, ApiRequest } from './api-endpoint';
import { appTokenEndpoints } from './app-token.api';
import { AuthorizePage, authorizePages } from './authorize-pages';
import { Answer, errorJson, FakeInputError, publicUrl, readJson, send } from './fake-wechat.http';
import { FakeWechatState } from './fake-wechat.state';
import type {
  FakeCall,
  FakeFault,
  FakeSettings,
  FakeWechatOptions,
  Grant,
  Json,
  WechatChannel,
} from './fake-wechat.types';
import { indexAnswer } from './index-page';
import { followEndpoints } from './follow.api';
import { MessagePush } from './message-push';
import { miniProgramEndpoints } from './mini-program.api';
import { wantsHtml } from '../pages/html';
import { phoneEndpoints } from './phone.api';
import { SandboxControl } from './sandbox-control';
import { snsOauthEndpoints } from './sns-oauth.api';
import { Authorization, AuthorizeInput, WechatUserSide } from './user-side';

export { FakeInputError, openidFor } from './fake-wechat.http';
export { FAKE_ENDPOINTS, WECHAT_CHANNELS } from './fake-wechat.types';
export type {
  FakeCall,
  FakeEndpoint,
  FakeFault,
  FakePage,
  FakeSettings,
  FakeWechatApp,
  FakeWechatOptions,
  WechatChannel,
} from './fake-wechat.types';

/**
 * A fake of WeChat's servers for every login channel, faithful to docs/wechat-api.md and
 * providers-api.md: the user-level OAuth API (sns-oauth.api.ts), mini-program login
 * (mini-program.api.ts), the app-level token (app-token.api.ts), the phone number API (phone.api.ts),
 * parametric QR codes and follower info (follow.api.ts), the message server's pushes (message-push.ts),
 * the two web authorize pages (authorize-pages.ts), and the sandbox's control endpoints
 * (sandbox-control.ts); its memory and clock are in fake-wechat.state.ts. This class routes.
 * Plain node:http, in memory; mounted under /sandbox/wechat in sandbox mode and run alone by
 * `npm run fake-wechat`.
 */
export class FakeWechatServer {
  private readonly state: FakeWechatState;
  private readonly user: WechatUserSide;
  private readonly control: SandboxControl;
  private readonly api = new Map<string, ApiEndpoint>();
  private readonly pages = new Map<string, AuthorizePage>();
  private readonly standalone = new StandaloneServer((req, res) => this.handler(req, res));

  constructor(options: FakeWechatOptions) {
    this.state = new FakeWechatState(options);
    this.user = new WechatUserSide(this.state);
    this.control = new SandboxControl(this.state, this.user, new MessagePush(this.state));
    for (const endpoint of [
      ...snsOauthEndpoints(this.state),
      ...miniProgramEndpoints(this.state),
      ...appTokenEndpoints(this.state),
      ...phoneEndpoints(this.state),
      ...followEndpoints(this.state),
    ]) {
      this.api.set(endpoint.path, endpoint);
    }
    for (const page of authorizePages(this.state, this.user)) this.pages.set(page.path, page);
  }

  /** A Connect/Express-compatible handler; paths are relative to where it is mounted. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch(() => {
      if (!res.headersSent) this.send(res, { status: 500, body: '{"error":"fake failure"}' });
    });
  };

  // ---- state that tests and the sandbox read and move --------------------------------------

  get settings(): FakeSettings {
    return this.state.settings;
  }

  now(): number {
    return this.state.now();
  }

  advanceClock(seconds: number): number {
    return this.state.advanceClock(seconds);
  }

  calls(endpoint?: FakeCall['endpoint']): FakeCall[] {
    return this.state.callLog.list(endpoint ? (c) => c.endpoint === endpoint : undefined);
  }

  clearCalls(): void {
    this.state.callLog.clear();
  }

  addFault(fault: FakeFault): void {
    this.state.faults.add(fault);
  }

  clearFaults(): void {
    this.state.faults.clear();
  }

  configure(settings: Partial<FakeSettings>): FakeSettings {
    return Object.assign(this.state.settings, settings);
  }

  /** The person approved the login in WeChat (app, official-account page, website QR): a fresh code. */
  authorize(input: AuthorizeInput): Authorization {
    return this.user.authorize(input);
  }

  /** wx.login() in a mini program: a js code. */
  miniProgramLogin(input: { appid: string; person?: string; withoutUnionid?: boolean; highRisk?: boolean }) {
    return this.user.miniProgramLogin(input);
  }

  /** The mini program's phone button: a code for getuserphonenumber. */
  phoneCode(input: { appid: string; person?: string; phone: string; countryCode?: string }): { phoneCode: string } {
    return this.user.phoneCode(input);
  }

  /** Binds an app to the Open Platform account: its answers carry unionid from now on. */
  bindOpenPlatform(appid: string): { appId: string; channel: WechatChannel; openPlatform: boolean } {
    return this.user.bindOpenPlatform(appid);
  }

  /** The labels of every person the fake has met so far. */
  people(): string[] {
    return [...this.state.persons.keys()];
  }

  apps(): { appId: string; channel: WechatChannel; openPlatform: boolean }[] {
    return this.state.appList();
  }

  /** Successful getuserphonenumber calls (what WeChat bills), for one app or all. */
  billedPhoneNumbers(appid?: string): number {
    const billed = this.state.billedPhoneNumbers;
    return appid ? (billed.get(appid) ?? 0) : [...billed.values()].reduce((a, b) => a + b, 0);
  }

  /** The person changed their WeChat password: every token issued so far answers 42007. */
  resetCredentials(label: string): void {
    this.user.resetCredentials(label);
  }

  updateProfile(label: string, profile: { nickname?: string; avatarUrl?: string }): void {
    this.user.updateProfile(label, profile);
  }

  /** Every code and token handed out so far, for tests that check none reaches a log. */
  issuedSecrets(): string[] {
    return this.state.issuedSecrets();
  }

  // Older tests read these three maps directly to collect secrets; issuedSecrets() covers every kind.
  get codes(): ReadonlyMap<string, unknown> {
    return this.state.codes;
  }

  get byAccessToken(): ReadonlyMap<string, Grant> {
    return this.state.byAccessToken;
  }

  get byRefreshToken(): ReadonlyMap<string, Grant> {
    return this.state.byRefreshToken;
  }

  /** Drops every person, code, grant, token, fault, call and switch; the apps go back to their options. */
  reset(): void {
    this.state.reset();
  }

  // ---- running alone -------------------------------------------------------------------------

  listen(port = 0, host = '127.0.0.1'): Promise<string> {
    return this.standalone.listen(port, host);
  }

  close(): Promise<void> {
    return this.standalone.close();
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.local');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const api = this.api.get(path);
    if (api) {
      if (req.method !== 'GET' && req.method !== 'POST') return this.send(res, { status: 405, body: '' });
      return this.answerApi(api, req, url.searchParams, res);
    }
    const page = this.pages.get(path);
    if (page) {
      if (req.method !== 'GET') return this.send(res, { status: 405, body: '' });
      const asked = { browser: wantsHtml(req.headers.accept), selfUrl: publicUrl(req) };
      const { answer, appid, result } = await page.answer(url.searchParams, asked);
      this.state.record({ endpoint: page.page, path, appid, result });
      return this.send(res, answer);
    }
    if (path === '/' && req.method === 'GET') {
      const base = new URL(publicUrl(req)).pathname.replace(/\/+$/, '');
      return this.send(res, indexAnswer(this.state, base, wantsHtml(req.headers.accept)));
    }
    const { status, body } = await this.control.answer(req, path, url.searchParams);
    return this.send(res, { status, body: JSON.stringify(body), contentType: 'application/json; charset=utf-8' });
  }

  private async answerApi(
    api: ApiEndpoint,
    req: IncomingMessage,
    query: URLSearchParams,
    res: ServerResponse,
  ): Promise<void> {
    let body: Json | undefined = {};
    if (api.method === 'POST' && req.method === 'POST') {
      try {
        body = await readJson(req);
      } catch (error) {
        if (!(error instanceof FakeInputError)) throw error;
        body = undefined;
      }
    }
    const request: ApiRequest = { query, body: body ?? {} };
    const fault = this.state.faults.take(api.endpoint);
    if (fault?.delayMs) await this.standalone.sleep(fault.delayMs);
    const record = (result: string): void =>
      this.state.record({
        endpoint: api.endpoint,
        path: api.path,
        appid: query.get('appid') ?? request.appid ?? (typeof body?.appid === 'string' ? body.appid : undefined),
        openid: query.get('openid') ?? undefined,
        result,
      });

    if (fault && (fault.errcode !== undefined || fault.httpStatus || fault.drop || fault.malformed)) {
      // The real server may have done the work before failing: a code is gone after -1, a lost
      // answer or a garbled one. A gateway's 5xx is taken to mean the request never arrived.
      if (fault.errcode === -1 || fault.drop || fault.malformed) api.consume?.(request);
      if (fault.drop) {
        record('fault:drop');
        return this.send(res, { drop: true });
      }
      if (fault.httpStatus) {
        record(`fault:http${fault.httpStatus}`);
        return this.send(res, {
          status: fault.httpStatus,
          body: `<html><body><h1>${fault.httpStatus}</h1>upstream error</body></html>`,
          contentType: 'text/html',
        });
      }
      if (fault.malformed) {
        record('fault:malformed');
        return this.send(res, { status: 200, body: '{"access_token":"ACCESS_TOKEN","expires_in":72' });
      }
      record(`errcode:${fault.errcode}`);
      return this.send(res, { status: 200, body: JSON.stringify(errorJson(fault.errcode!)) });
    }

    let answer: Json;
    if (api.method === 'POST' && req.method !== 'POST') answer = errorJson(43002);
    else if (body === undefined) answer = errorJson(47001);
    else answer = api.answer(request);
    record(typeof answer.errcode === 'number' && answer.errcode !== 0 ? `errcode:${answer.errcode}` : 'ok');
    // WeChat escapes slashes in URLs; a client must not care.
    return this.send(res, { status: 200, body: JSON.stringify(answer).replace(/\//g, '\\/') });
  }

  private send(res: ServerResponse, answer: Answer): void {
    send(res, answer, this.state.settings.contentType);
  }
}
