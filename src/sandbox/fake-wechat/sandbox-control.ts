// The sandbox's own endpoints on the fake (never WeChat's): play the person, inject faults, move the
// clock, flip switches, read the call log.
import type { IncomingMessage } from 'node:http';
import { ControlAnswer, kitControl, parseFault } from '../fake-kit';
import { FakeInputError, optionalBoolean, optionalString, readJson, requireString } from './fake-wechat.http';
import type { FakeWechatState } from './fake-wechat.state';
import { FAKE_ENDPOINTS, FakeFault, FakeSettings, Json } from './fake-wechat.types';
import { MessagePush, PUSHABLE_EVENTS, PushableEvent } from './message-push';
import type { WechatUserSide } from './user-side';

export type { ControlAnswer } from '../fake-kit';

export class SandboxControl {
  constructor(
    private readonly state: FakeWechatState,
    private readonly user: WechatUserSide,
    private readonly push: MessagePush,
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
      case 'POST /scan-follow': {
        const body = await readJson(req);
        return ok(this.push.scanFollow(requireString(body, 'ticket'), requireString(body, 'person')));
      }
      case 'POST /event': {
        const body = await readJson(req);
        const event = requireString(body, 'event');
        if (!(PUSHABLE_EVENTS as readonly string[]).includes(event)) {
          throw new FakeInputError(`event must be one of ${PUSHABLE_EVENTS.join(', ')}`);
        }
        return ok(
          this.push.event(
            requireString(body, 'appid'),
            requireString(body, 'person'),
            event as PushableEvent,
            optionalString(body, 'eventKey'),
          ),
        );
      }
      case 'POST /bind-open-platform':
        return ok(user.bindOpenPlatform(requireString(await readJson(req), 'appid')));
      case 'GET /apps':
        return ok(state.appList());
      case 'GET /billing':
        return ok({ getuserphonenumber: Object.fromEntries(state.billedPhoneNumbers) });
      case 'POST /settings':
        Object.assign(state.settings, parseSettings(await readJson(req)));
        return ok({ settings: state.settings });
      case 'GET /settings':
        return ok({ settings: state.settings });
      case 'GET /calls': {
        // ?path= answers the shape every provider fake shares; ?endpoint= (or nothing) the full records.
        const path = query.get('path');
        if (path !== null) return ok({ calls: state.callLog.onPath(path) });
        const endpoint = query.get('endpoint');
        return ok({ calls: state.callLog.list(endpoint ? (c) => c.endpoint === endpoint : undefined) });
      }
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
      default:
        // Faults, the clock, DELETE /calls and reset: as every fake answers them.
        return (
          (await kitControl(req, route, query, {
            faults: state.faults,
            parseFault: parseWechatFault,
            calls: state.callLog,
            clock: state.clock,
            readBody: readJson,
            reset: () => state.reset(),
          })) ?? { status: 404, body: { error: 'not found' } }
        );
    }
  }
}

/** A WeChat fault: its error is an `errcode` number; no answer is held. */
export function parseWechatFault(body: Json): FakeFault {
  return parseFault<FakeFault>(body, {
    endpoints: FAKE_ENDPOINTS,
    error: { key: 'errcode', kind: 'integer' },
    hold: false,
  });
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
