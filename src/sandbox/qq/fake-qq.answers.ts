import { createHash, randomBytes } from 'node:crypto';
import type { Json } from '../fake-kit';

// What the fake QQ Connect answers with: QQ's error table, ids and the user-info body.

// The errors QQ names (wiki.connect.qq.com "公共返回码说明").
export const ERRORS: Record<number, string> = {
  100000: 'response_type is wrong',
  100004: 'grant_type is wrong',
  100005: 'code is missing',
  100008: 'client_id is illegal',
  100009: 'client_secret is illegal',
  100010: 'redirect uri is illegal',
  100016: 'access token check failed',
  100019: 'code to access token error',
  100020: 'code is reused error',
};

export function qqError(error: number): Json {
  return { error, error_description: ERRORS[error] ?? 'error' };
}

export function errorText(error: number, json: boolean): string {
  const body = JSON.stringify(qqError(error));
  return json ? body : `callback( ${body} );\n`;
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex').toUpperCase();
}

export function openIdFor(appId: string, person: string): string {
  return createHash('sha256').update(`qq:open:${appId}:${person}`).digest('hex').slice(0, 32).toUpperCase();
}

// The same person is the same unionid across the developer's apps (one developer per fake).
export function unionIdFor(person: string): string {
  return `UID_${createHash('sha256').update(`qq:union:${person}`).digest('hex').slice(0, 32).toUpperCase()}`;
}

export function profileOf(openid: string, unionid: string): Json {
  const face = `http://thirdqq.qlogo.cn/ek_qqapp/fake/${openid}`;
  return {
    ret: 0,
    msg: '',
    is_lost: 0,
    nickname: `QQ用户${unionid.slice(-4)}`,
    gender: '男',
    gender_type: 1,
    figureurl: `${face}/30`,
    figureurl_1: `${face}/50`,
    figureurl_2: `${face}/100`,
    figureurl_qq_1: `${face}/40`,
    figureurl_qq_2: `${face}/100`,
    is_yellow_vip: '0',
    vip: '0',
    yellow_vip_level: '0',
    level: '0',
    is_yellow_year_vip: '0',
  };
}
