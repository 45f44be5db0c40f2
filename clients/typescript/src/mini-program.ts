import type { FetchLike } from './transport.js';

/** The part of `wx.request` (WeChat mini programs) and `uni.request` (uni-app) the client uses. */
export interface MiniProgramRequestApi {
  request(options: {
    url: string;
    method: 'POST';
    header: Record<string, string>;
    data: string;
    dataType: string;
    responseType: 'text';
    success(res: { statusCode: number; data: unknown }): void;
    fail(error: { errMsg?: string }): void;
  }): unknown;
}

/**
 * `fetch` for mini programs, which have none: `new LoginClient({ url, fetch: miniProgramFetch(wx) })`
 * (or `uni`). The answer is read as text (dataType 'text': no JSON parsing on the way).
 */
export function miniProgramFetch(api: MiniProgramRequestApi): FetchLike {
  return (url, init) =>
    new Promise((resolve, reject) => {
      api.request({
        url,
        method: init.method,
        header: init.headers,
        data: init.body,
        dataType: 'text',
        responseType: 'text',
        success: (res) => {
          const text = typeof res.data === 'string' ? res.data : JSON.stringify(res.data);
          resolve({ ok: res.statusCode < 400, status: res.statusCode, text: async () => text });
        },
        fail: (error) => reject(new Error(error?.errMsg ?? 'request:fail')),
      });
    });
}

/** The part of `wx.login` (or `uni.login`) the client uses. */
export interface MiniProgramLoginApi {
  login(options: {
    success(res: { code?: string; errMsg?: string }): void;
    fail(error: { errMsg?: string }): void;
  }): unknown;
}

/** `wx.login()` as a promise: the js code for `wechatMiniProgramLogin` (single use, 5 minutes). */
export function miniProgramLoginCode(api: MiniProgramLoginApi): Promise<string> {
  return new Promise((resolve, reject) =>
    api.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new Error(res.errMsg ?? 'login:fail'))),
      fail: (error) => reject(new Error(error?.errMsg ?? 'login:fail')),
    }),
  );
}

/** What the phone button's `bindgetphonenumber` handler receives in `e.detail`. */
export interface PhoneButtonDetail {
  /** the one-time phone code; missing when the user refused */
  code?: string;
  errMsg?: string;
}
