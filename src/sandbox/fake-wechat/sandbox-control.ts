// The sandbox's own endpoints on the fake (never WeChat's): play the person, inject faults, move the
// clock, flip switches, read the call log.
import type { IncomingMessage } from 'node:http';
import { FakeInputError, optionalBoolean, optionalString, readJson, requireString } from './fake-wechat.http';
import type { FakeWechatState } from './fake-wechat.state';
import { FAKE_ENDPOINTS, FakeEndpoint, FakeFault, FakeSettings, Json } from './fake-wechat.types';
import type { WechatUserSide } from './user-side';

export type ControlAnswer = { status: number; body: unknown };

export class SandboxControl {
  constructor(
    private readonly state: FakeWechatState,
    private readonly user: WechatUserSide,
  ) {}

  async answer(req: IncomingMessage, path: string, query: URLSearchParams): Promise<ControlAnswer> {
    try {
      return await this.route(req, `${req.method} ${path}`, query);
    } catch (error) {
      if (error instanceof FakeInputError) return { status: 400, body: { error: error.message } };
      throw error;
    }
  }

  private async route(req: IncomingMessage, route: string, query: URLSearchParams): Promise<ControlAnswer> {
    const ok = (body: unknown): ControlAnswer => ({ status: 200, body });
    const { state, user } = this;
    switch (route) {
      case 'POST /authorize': {
        const body = await readJson(req);
        return ok(
          user.authorize({
            appid: requireString(body, 'appid'),
            state: optionalString(body, 'state'),
            person: optionalString(body, 'person'),
            nickname: optionalString(body, 'nickname'),
            withoutUnionid: body.withoutUnionid === true,
            scope: optionalString(body, 'scope'),
            snapshot: optionalBoolean(body, 'snapshot'),
          }),
        );
      }
      case 'POST /miniprogram/login': {
        const body = await readJson(req);
        return ok(
          user.miniProgramLogin({
            appid: requireString(body, 'appid'),
            person: optionalString(body, 'person'),
            withoutUnionid: optionalBoolean(body, 'withoutUnionid'),
            highRisk: optionalBoolean(body, 'highRisk'),
          }),
        );
      }
      case 'POST /miniprogram/phone': {
        const body = await readJson(req);
        return ok(
          user.phoneCode({
            appid: requireString(body, 'appid'),
            person: optionalString(body, 'person'),
            phone: requireString(body, 'phone'),
            countryCode: optionalString(body, 'countryCode'),
          }),
        );
      }
      case 'POST /bind-open-platform':
        return ok(user.bindOpenPlatform(requireString(await readJson(req), 'appid')));
      case 'GET /apps':
        return ok(state.appList());
      case 'GET /billing':
        return ok({ getuserphonenumber: Object.fromEntries(state.billedPhoneNumbers) });
      case 'POST /faults':
        state.faults.push(parseFault(await readJson(req)));
        return ok({ faults: state.faults });
      case 'DELETE /faults':
        state.faults = [];
        return ok({ faults: [] });
      case 'GET /faults':
        return ok({ faults: state.faults });
      case 'POST /clock': {
        const seconds = (await readJson(req)).advanceSeconds;
        if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
          throw new FakeInputError('advanceSeconds must be a non-negative number');
        }
        return ok({ now: new Date(state.advanceClock(seconds)).toISOString() });
      }
      case 'GET /clock':
        return ok({ now: new Date(state.now()).toISOString() });
      case 'POST /settings':
        Object.assign(state.settings, parseSettings(await readJson(req)));
        return ok({ settings: state.settings });
      case 'GET /settings':
        return ok({ settings: state.settings });
      case 'GET /calls': {
        // ?path= answers the shape every provider fake shares; ?endpoint= (or nothing) the full records.
        const path = query.get('path');
        if (path !== null) {
          return ok({ calls: state.callLog.filter((c) => c.path === path).map((c) => ({ path: c.path, at: c.at })) });
        }
        const endpoint = query.get('endpoint');
        return ok({ calls: endpoint ? state.callLog.filter((c) => c.endpoint === endpoint) : state.callLog });
      }
      case 'DELETE /calls':
        state.callLog = [];
        return ok({ calls: [] });
      case 'POST /persons/reset-credentials':
        user.resetCredentials(requireString(await readJson(req), 'person'));
        return ok({ ok: true });
      case 'POST /persons/profile': {
        const body = await readJson(req);
        user.updateProfile(requireString(body, 'person'), {
          nickname: optionalString(body, 'nickname'),
          avatarUrl: optionalString(body, 'avatarUrl'),
        });
        return ok({ ok: true });
      }
      case 'POST /reset':
        state.reset();
        return ok({ ok: true });
      default:
        return { status: 404, body: { error: 'not found' } };
    }
  }
}

export function parseFault(body: Json): FakeFault {
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
  const numbers = [
    'codeTtlSeconds',
    'accessTokenTtlSeconds',
    'refreshTokenTtlSeconds',
    'appTokenTtlSeconds',
    'jscodeMinuteQuota',
  ] as const;
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
