import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WECHAT_ERRMSG } from './errmsg';

/**
 * A fake of WeChat's Open Platform server for mobile-app login, faithful to ../docs/wechat-api.md:
 * HTTP 200 with JSON errors, `rid` suffixes, single-use codes, the refresh rules, the 2021 privacy
 * change, plus the switches and fault injection that the real server only does on a bad day.
 * Plain node:http, in memory, with its own clock; mounted under /sandbox/wechat in sandbox mode and
 * run alone by `npm run fake-wechat`.
 */

export type FakeEndpoint = 'access_token' | 'refresh_token' | 'auth' | 'userinfo';
export const FAKE_ENDPOINTS: readonly FakeEndpoint[] = ['access_token', 'refresh_token', 'auth', 'userinfo'];

const PATHS: Record<string, FakeEndpoint> = {
  '/sns/oauth2/access_token': 'access_token',
  '/sns/oauth2/refresh_token': 'refresh_token',
  '/sns/auth': 'auth',
  '/sns/userinfo': 'userinfo',
};

export interface FakeFault {
  endpoint: FakeEndpoint;
  errcode?: number;
  httpStatus?: number;
  delayMs?: number;
  drop?: boolean;
  malformed?: boolean;
  times: number;
}

export interface FakeSettings {
  /** Content-Type of every answer; WeChat has sent all three. */
  contentType: string;
  codeTtlSeconds: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** errcode for an expired code: 40029 (what is usually seen) or 42003 (what is documented). */
  expiredCodeErrcode: 40029 | 42003;
  /** Issue a new refresh_token on every refresh (and kill the old one). */
  rotateRefreshTokens: boolean;
  /** Leave unionid out of every userinfo answer. */
  dropUnionid: boolean;
  /** Send sex as a string ("0"), as some answers do. */
  sexAsString: boolean;
  /** Append a trailing comma to scope ("snsapi_userinfo,"). */
  scopeTrailingComma: boolean;
}

export interface FakeCall {
  endpoint: FakeEndpoint;
  at: string;
  appid?: string;
  openid?: string;
  /** What the fake answered: an errcode, 0 for success, or the fault applied. */
  result: string;
}

export interface FakeWechatOptions {
  apps: { appId: string; secret: string }[];
  settings?: Partial<FakeSettings>;
  /** Reports each call, for the service's logs in sandbox mode; never given a secret or token. */
  onCall?: (call: FakeCall) => void;
}

interface Person {
  label: string;
  unionid: string;
  nickname: string;
  avatarUrl: string;
  /** Tokens issued before this moment answer 42007 ("password changed"). */
  credentialsResetAt: number;
}

interface CodeRecord {
  appid: string;
  person: string;
  scope: string;
  withoutUnionid: boolean;
  expiresAt: number;
  usedAt?: number;
}

interface Grant {
  id: string;
  appid: string;
  person: string;
  openid: string;
  scope: string;
  withoutUnionid: boolean;
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
  issuedAt: number;
}

type Json = Record<string, unknown>;
type Answer = { status: number; body: string; contentType?: string } | { drop: true };

const DEFAULT_SETTINGS: FakeSettings = {
  contentType: 'application/json; encoding=utf-8',
  codeTtlSeconds: 300,
  accessTokenTtlSeconds: 7200,
  refreshTokenTtlSeconds: 30 * 24 * 3600,
  expiredCodeErrcode: 40029,
  rotateRefreshTokens: false,
  dropUnionid: false,
  sexAsString: false,
  scopeTrailingComma: false,
};

const NICKNAMES = ['微信用户', '小龙虾🦞', 'Lucky☘️', '熊猫🐼', '夏天', 'Mr.Wang'];
const MAX_BODY = 16 * 1024;

export class FakeWechatServer {
  readonly settings: FakeSettings;
  private readonly apps = new Map<string, string>();
  private readonly persons = new Map<string, Person>();
  private readonly codes = new Map<string, CodeRecord>();
  private readonly grants = new Map<string, Grant>();
  private readonly byAccessToken = new Map<string, Grant>();
  private readonly byRefreshToken = new Map<string, Grant>();
  private faults: FakeFault[] = [];
  private callLog: FakeCall[] = [];
  private offsetMs = 0;
  private server?: Server;
  private readonly delays = new Set<NodeJS.Timeout>();

  constructor(private readonly options: FakeWechatOptions) {
    for (const app of options.apps) this.apps.set(app.appId, app.secret);
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
  }

  /** A Connect/Express-compatible handler; paths are relative to where it is mounted. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch(() => {
      if (!res.headersSent) this.send(res, { status: 500, body: '{"error":"fake failure"}' });
    });
  };

  // ---- state that tests and the sandbox read and move --------------------------------------

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advanceClock(seconds: number): number {
    this.offsetMs += seconds * 1000;
    return this.now();
  }

  calls(endpoint?: FakeEndpoint): FakeCall[] {
    return endpoint ? this.callLog.filter((c) => c.endpoint === endpoint) : [...this.callLog];
  }

  clearCalls(): void {
    this.callLog = [];
  }

  addFault(fault: FakeFault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  configure(settings: Partial<FakeSettings>): FakeSettings {
    Object.assign(this.settings, settings);
    return this.settings;
  }

  /** The person approved the login in WeChat: a fresh code for `appid`. */
  authorize(input: {
    appid: string;
    state?: string;
    person?: string;
    nickname?: string;
    withoutUnionid?: boolean;
    scope?: string;
  }): { code: string; state?: string; openid: string; unionid: string } {
    if (!this.apps.has(input.appid)) throw new FakeInputError('unknown appid');
    const person = this.person(input.person ?? `anonymous-${randomBytes(6).toString('hex')}`, input.nickname);
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, {
      appid: input.appid,
      person: person.label,
      scope: input.scope ?? 'snsapi_userinfo',
      withoutUnionid: input.withoutUnionid === true,
      expiresAt: this.now() + this.settings.codeTtlSeconds * 1000,
    });
    return { code, state: input.state, openid: openidFor(input.appid, person.label), unionid: person.unionid };
  }

  /** The person changed their WeChat password: every token issued so far answers 42007. */
  resetCredentials(label: string): void {
    const person = this.persons.get(label);
    if (!person) throw new FakeInputError('unknown person');
    person.credentialsResetAt = this.now() + 1;
  }

  updateProfile(label: string, profile: { nickname?: string; avatarUrl?: string }): void {
    const person = this.persons.get(label);
    if (!person) throw new FakeInputError('unknown person');
    if (profile.nickname !== undefined) person.nickname = profile.nickname;
    if (profile.avatarUrl !== undefined) person.avatarUrl = profile.avatarUrl;
  }

  /** Drops every person, code, grant, fault, call and switch; keeps the apps. */
  reset(): void {
    this.persons.clear();
    this.codes.clear();
    this.grants.clear();
    this.byAccessToken.clear();
    this.byRefreshToken.clear();
    this.faults = [];
    this.callLog = [];
    this.offsetMs = 0;
    Object.assign(this.settings, DEFAULT_SETTINGS, this.options.settings);
  }

  // ---- running alone -------------------------------------------------------------------------

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer(this.handler);
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    const address = this.server.address() as AddressInfo;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const timer of this.delays) clearTimeout(timer);
    this.delays.clear();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.local');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const endpoint = PATHS[path];
    if (endpoint) {
      if (req.method !== 'GET' && req.method !== 'POST') return this.send(res, { status: 405, body: '' });
      return this.answerApi(endpoint, url.searchParams, res);
    }
    return this.answerControl(req, res, path, url.searchParams);
  }

  private async answerApi(endpoint: FakeEndpoint, query: URLSearchParams, res: ServerResponse): Promise<void> {
    const fault = this.takeFault(endpoint);
    if (fault?.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.delays.delete(timer);
          resolve();
        }, fault.delayMs);
        this.delays.add(timer);
      });
    }
    const record = (result: string): void => {
      const call: FakeCall = {
        endpoint,
        at: new Date(this.now()).toISOString(),
        appid: query.get('appid') ?? undefined,
        openid: query.get('openid') ?? undefined,
        result,
      };
      this.callLog.push(call);
      this.options.onCall?.(call);
    };

    if (fault && (fault.errcode !== undefined || fault.httpStatus || fault.drop || fault.malformed)) {
      // The real server may have done the work before failing: a code is gone after -1, a lost
      // answer or a garbled one. A gateway's 5xx is taken to mean the request never arrived.
      if (endpoint === 'access_token' && (fault.errcode === -1 || fault.drop || fault.malformed)) {
        this.consumeCode(query);
      }
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
      return this.send(res, this.error(fault.errcode!));
    }

    const answer = this.api(endpoint, query);
    record(typeof answer.errcode === 'number' && answer.errcode !== 0 ? `errcode:${answer.errcode}` : 'ok');
    let body = JSON.stringify(answer);
    // WeChat escapes slashes in URLs; a client must not care.
    body = body.replace(/\//g, '\\/');
    return this.send(res, { status: 200, body });
  }

  private api(endpoint: FakeEndpoint, q: URLSearchParams): Json {
    switch (endpoint) {
      case 'access_token':
        return this.exchangeCode(q);
      case 'refresh_token':
        return this.refresh(q);
      case 'auth':
        return this.checkToken(q, false);
      case 'userinfo':
        return this.checkToken(q, true);
    }
  }

  private exchangeCode(q: URLSearchParams): Json {
    const appid = q.get('appid');
    const secret = q.get('secret');
    const code = q.get('code');
    if (!appid) return this.errorJson(41002);
    if (!secret) return this.errorJson(41004);
    if (!code) return this.errorJson(41008);
    if (q.get('grant_type') !== 'authorization_code') return this.errorJson(40002);
    const expected = this.apps.get(appid);
    if (expected === undefined) return this.errorJson(40013);
    if (expected !== secret) return this.errorJson(40125);
    const record = this.codes.get(code);
    if (!record || record.appid !== appid) return this.errorJson(40029);
    if (record.usedAt !== undefined) return this.errorJson(40163);
    if (record.expiresAt <= this.now()) return this.errorJson(this.settings.expiredCodeErrcode);
    record.usedAt = this.now();

    const grant = this.issueGrant(record);
    const person = this.persons.get(record.person)!;
    const body: Json = {
      access_token: grant.accessToken,
      expires_in: this.settings.accessTokenTtlSeconds,
      refresh_token: grant.refreshToken,
      openid: grant.openid,
      scope: this.scopeOut(grant.scope),
    };
    if (!record.withoutUnionid) body.unionid = person.unionid;
    return body;
  }

  private refresh(q: URLSearchParams): Json {
    const appid = q.get('appid');
    const token = q.get('refresh_token');
    if (!appid) return this.errorJson(41002);
    if (!token) return this.errorJson(41003);
    if (q.get('grant_type') !== 'refresh_token') return this.errorJson(40002);
    if (!this.apps.has(appid)) return this.errorJson(40013);
    const grant = this.byRefreshToken.get(token);
    if (!grant || grant.appid !== appid) return this.errorJson(40030);
    if (this.credentialsReset(grant)) return this.errorJson(42007);
    const now = this.now();
    if (grant.refreshExpiresAt <= now) return this.errorJson(42002);

    // A still-valid access token comes back unchanged with its expiry reset; an expired one is replaced.
    if (grant.accessExpiresAt <= now) {
      this.byAccessToken.delete(grant.accessToken);
      grant.accessToken = token64();
      this.byAccessToken.set(grant.accessToken, grant);
    }
    grant.accessExpiresAt = now + this.settings.accessTokenTtlSeconds * 1000;
    if (this.settings.rotateRefreshTokens) {
      this.byRefreshToken.delete(grant.refreshToken);
      grant.refreshToken = token64();
      this.byRefreshToken.set(grant.refreshToken, grant);
    }
    // No unionid here: the refresh answer never carries it.
    return {
      access_token: grant.accessToken,
      expires_in: this.settings.accessTokenTtlSeconds,
      refresh_token: grant.refreshToken,
      openid: grant.openid,
      scope: this.scopeOut(grant.scope),
    };
  }

  private checkToken(q: URLSearchParams, userinfo: boolean): Json {
    const token = q.get('access_token');
    const openid = q.get('openid');
    if (!token) return this.errorJson(41001);
    if (!openid) return this.errorJson(41009);
    const grant = this.byAccessToken.get(token);
    if (!grant) return this.errorJson(40001);
    if (this.credentialsReset(grant)) return this.errorJson(42007);
    if (grant.accessExpiresAt <= this.now()) return this.errorJson(42001);
    if (grant.openid !== openid) return this.errorJson(40003);
    if (!userinfo) return { errcode: 0, errmsg: 'ok' };
    if (!grant.scope.split(',').includes('snsapi_userinfo')) return this.errorJson(48001);

    const person = this.persons.get(grant.person)!;
    const body: Json = {
      openid: grant.openid,
      nickname: person.nickname,
      // The 2021 privacy change: no sex, no region.
      sex: this.settings.sexAsString ? '0' : 0,
      language: q.get('lang') ?? 'zh_CN',
      city: '',
      province: '',
      country: '',
      headimgurl: person.avatarUrl,
      privilege: [],
    };
    if (!this.settings.dropUnionid && !grant.withoutUnionid) body.unionid = person.unionid;
    return body;
  }

  private async answerControl(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const json = (status: number, body: unknown): void =>
      this.send(res, { status, body: JSON.stringify(body), contentType: 'application/json; charset=utf-8' });
    try {
      const route = `${req.method} ${path}`;
      switch (route) {
        case 'POST /authorize': {
          const body = await readJson(req);
          return json(
            200,
            this.authorize({
              appid: requireString(body, 'appid'),
              state: optionalString(body, 'state'),
              person: optionalString(body, 'person'),
              nickname: optionalString(body, 'nickname'),
              withoutUnionid: body.withoutUnionid === true,
              scope: optionalString(body, 'scope'),
            }),
          );
        }
        case 'POST /faults': {
          const fault = parseFault(await readJson(req));
          this.addFault(fault);
          return json(200, { faults: this.faults });
        }
        case 'DELETE /faults':
          this.clearFaults();
          return json(200, { faults: [] });
        case 'GET /faults':
          return json(200, { faults: this.faults });
        case 'POST /clock': {
          const body = await readJson(req);
          const seconds = body.advanceSeconds;
          if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
            throw new FakeInputError('advanceSeconds must be a non-negative number');
          }
          return json(200, { now: new Date(this.advanceClock(seconds)).toISOString() });
        }
        case 'GET /clock':
          return json(200, { now: new Date(this.now()).toISOString() });
        case 'POST /settings':
          return json(200, { settings: this.configure(parseSettings(await readJson(req))) });
        case 'GET /settings':
          return json(200, { settings: this.settings });
        case 'GET /calls': {
          const endpoint = query.get('endpoint') as FakeEndpoint | null;
          return json(200, { calls: this.calls(endpoint ?? undefined) });
        }
        case 'DELETE /calls':
          this.clearCalls();
          return json(200, { calls: [] });
        case 'POST /persons/reset-credentials':
          this.resetCredentials(requireString(await readJson(req), 'person'));
          return json(200, { ok: true });
        case 'POST /persons/profile': {
          const body = await readJson(req);
          this.updateProfile(requireString(body, 'person'), {
            nickname: optionalString(body, 'nickname'),
            avatarUrl: optionalString(body, 'avatarUrl'),
          });
          return json(200, { ok: true });
        }
        case 'POST /reset':
          this.reset();
          return json(200, { ok: true });
        default:
          return json(404, { error: 'not found' });
      }
    } catch (error) {
      if (error instanceof FakeInputError) return json(400, { error: error.message });
      throw error;
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private person(label: string, nickname?: string): Person {
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

  private issueGrant(code: CodeRecord): Grant {
    const now = this.now();
    const grant: Grant = {
      id: randomBytes(8).toString('hex'),
      appid: code.appid,
      person: code.person,
      openid: openidFor(code.appid, code.person),
      scope: code.scope,
      withoutUnionid: code.withoutUnionid,
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

  private consumeCode(q: URLSearchParams): void {
    const record = this.codes.get(q.get('code') ?? '');
    if (record && record.appid === q.get('appid') && record.usedAt === undefined) record.usedAt = this.now();
  }

  private credentialsReset(grant: Grant): boolean {
    return this.persons.get(grant.person)!.credentialsResetAt > grant.issuedAt;
  }

  private scopeOut(scope: string): string {
    return this.settings.scopeTrailingComma ? `${scope},` : scope;
  }

  private takeFault(endpoint: FakeEndpoint): FakeFault | undefined {
    const index = this.faults.findIndex((f) => f.endpoint === endpoint && f.times > 0);
    if (index < 0) return undefined;
    const fault = this.faults[index];
    fault.times -= 1;
    if (fault.times === 0) this.faults.splice(index, 1);
    return fault;
  }

  private errorJson(errcode: number): Json {
    return { errcode, errmsg: `${WECHAT_ERRMSG[errcode] ?? 'unknown error'}${rid()}` };
  }

  private error(errcode: number): Answer {
    return { status: 200, body: JSON.stringify(this.errorJson(errcode)) };
  }

  private send(res: ServerResponse, answer: Answer): void {
    if ('drop' in answer) {
      res.socket?.destroy();
      return;
    }
    res.statusCode = answer.status;
    res.setHeader('Content-Type', answer.contentType ?? this.settings.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(answer.body);
  }
}

export class FakeInputError extends Error {}

export function openidFor(appid: string, label: string): string {
  return `o${createHash('sha256').update(`openid:${appid}:${label}`).digest('base64url').slice(0, 27)}`;
}

function token64(): string {
  return randomBytes(48).toString('base64url');
}

// The trace suffix WeChat appends to every errmsg.
function rid(): string {
  const part = (): string => randomBytes(4).toString('hex');
  return `, rid: ${part()}-${part()}-${part()}`;
}

async function readJson(req: IncomingMessage): Promise<Json> {
  // Mounted inside the service, Express has already parsed the body.
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (parsed && typeof parsed === 'object' && Object.keys(parsed).length > 0) return parsed as Json;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new FakeInputError('body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Json;
  } catch {
    throw new FakeInputError('body must be a JSON object');
  }
}

function requireString(body: Json, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw new FakeInputError(`${key} is required`);
  return value;
}

function optionalString(body: Json, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new FakeInputError(`${key} must be a string`);
  return value;
}

function parseFault(body: Json): FakeFault {
  const endpoint = body.endpoint;
  if (typeof endpoint !== 'string' || !FAKE_ENDPOINTS.includes(endpoint as FakeEndpoint)) {
    throw new FakeInputError(`endpoint must be one of ${FAKE_ENDPOINTS.join(', ')}`);
  }
  const times = body.times ?? 1;
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) {
    throw new FakeInputError('times must be a positive whole number');
  }
  const fault: FakeFault = { endpoint: endpoint as FakeEndpoint, times };
  if (body.errcode !== undefined) {
    if (typeof body.errcode !== 'number' || !Number.isInteger(body.errcode))
      throw new FakeInputError('errcode must be a number');
    fault.errcode = body.errcode;
  }
  if (body.httpStatus !== undefined) {
    if (typeof body.httpStatus !== 'number' || body.httpStatus < 400 || body.httpStatus > 599) {
      throw new FakeInputError('httpStatus must be 400..599');
    }
    fault.httpStatus = body.httpStatus;
  }
  if (body.delayMs !== undefined) {
    if (typeof body.delayMs !== 'number' || body.delayMs < 0 || body.delayMs > 120000) {
      throw new FakeInputError('delayMs must be 0..120000');
    }
    fault.delayMs = body.delayMs;
  }
  if (body.drop === true) fault.drop = true;
  if (body.malformed === true) fault.malformed = true;
  const kinds = [fault.errcode !== undefined, fault.httpStatus !== undefined, fault.drop, fault.malformed].filter(
    Boolean,
  );
  if (kinds.length > 1)
    throw new FakeInputError('give one of errcode, httpStatus, drop, malformed (delayMs may join any)');
  if (kinds.length === 0 && fault.delayMs === undefined) {
    throw new FakeInputError('give errcode, httpStatus, delayMs, drop or malformed');
  }
  return fault;
}

function parseSettings(body: Json): Partial<FakeSettings> {
  const out: Partial<FakeSettings> = {};
  const numbers = ['codeTtlSeconds', 'accessTokenTtlSeconds', 'refreshTokenTtlSeconds'] as const;
  const flags = ['rotateRefreshTokens', 'dropUnionid', 'sexAsString', 'scopeTrailingComma'] as const;
  for (const [key, value] of Object.entries(body)) {
    if ((numbers as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || value < 1) throw new FakeInputError(`${key} must be a positive number`);
      out[key as (typeof numbers)[number]] = value;
    } else if ((flags as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean') throw new FakeInputError(`${key} must be true or false`);
      out[key as (typeof flags)[number]] = value;
    } else if (key === 'contentType') {
      if (typeof value !== 'string' || value === '') throw new FakeInputError('contentType must be a string');
      out.contentType = value;
    } else if (key === 'expiredCodeErrcode') {
      if (value !== 40029 && value !== 42003) throw new FakeInputError('expiredCodeErrcode must be 40029 or 42003');
      out.expiredCodeErrcode = value;
    } else {
      throw new FakeInputError(`unknown setting ${key}`);
    }
  }
  return out;
}
