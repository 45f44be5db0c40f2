// /wxa/business/getuserphonenumber: a mini program's phone-button code → the person's phone number.
import type { ApiEndpoint, ApiRequest } from './api-endpoint';
import { checkAppToken } from './app-token.api';
import { errorJson } from './fake-wechat.http';
import type { FakeWechatState } from './fake-wechat.state';
import type { Json } from './fake-wechat.types';

export function phoneEndpoints(state: FakeWechatState): ApiEndpoint[] {
  const phoneNumber = (req: ApiRequest): Json => {
    const token = checkAppToken(state, req.query.get('access_token'));
    if (typeof token === 'number') return errorJson(token);
    req.appid = token.appid;
    const code = req.body.code;
    if (code === undefined || code === '') return errorJson(41008);
    if (typeof code !== 'string') return errorJson(47001);
    // Unknown, foreign, used and expired codes all answer 40029 here.
    const record = state.findCode('phone', token.appid, code);
    if (!record || record.usedAt !== undefined || record.expiresAt <= state.now()) return errorJson(40029);
    record.usedAt = state.now();
    state.billedPhoneNumbers.set(token.appid, (state.billedPhoneNumbers.get(token.appid) ?? 0) + 1);

    const { purePhoneNumber, countryCode } = record.phone!;
    return {
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        // Numbers outside mainland China carry their country code.
        phoneNumber: countryCode === '86' ? purePhoneNumber : `+${countryCode} ${purePhoneNumber}`,
        purePhoneNumber,
        countryCode,
        watermark: { timestamp: Math.floor(state.now() / 1000), appid: token.appid },
      },
    };
  };

  return [
    {
      endpoint: 'getuserphonenumber',
      path: '/wxa/business/getuserphonenumber',
      method: 'POST',
      answer: phoneNumber,
      consume: ({ query, body }) => {
        const token = checkAppToken(state, query.get('access_token'));
        if (typeof token === 'number' || typeof body.code !== 'string') return;
        const record = state.findCode('phone', token.appid, body.code);
        if (record && record.usedAt === undefined) record.usedAt = state.now();
      },
    },
  ];
}
