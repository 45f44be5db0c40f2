// A stand-in for a mini program's `wx`: wx.login asks the sandbox's fake WeChat for a js code
// (as WeChat would for the signed-in WeChat user `person`), wx.request is real HTTP, the storage
// is a Map. Only what the SDK and a login page use.
import { miniProgramCode } from './sandbox';

interface RequestOptions {
  url: string;
  method: string;
  header: Record<string, string>;
  data: string;
  dataType: string;
  responseType: string;
  success(res: { statusCode: number; data: unknown; header: Record<string, string> }): void;
  fail(error: { errMsg: string }): void;
}

export interface FakeWx {
  storage: Map<string, string>;
  requests: Array<{ url: string; operationName: string }>;
  login(options: { success(res: { code: string; errMsg: string }): void; fail(e: { errMsg: string }): void }): void;
  request(options: RequestOptions): { abort(): void };
  getStorageSync(key: string): string;
  setStorageSync(key: string, value: string): void;
  removeStorageSync(key: string): void;
}

export function fakeWx(person: string, base: string): FakeWx {
  const storage = new Map<string, string>();
  const requests: FakeWx['requests'] = [];
  return {
    storage,
    requests,
    login: ({ success, fail }) => {
      miniProgramCode(person, base).then(
        (code) => success({ code, errMsg: 'login:ok' }),
        () => fail({ errMsg: 'login:fail' }),
      );
    },
    request: (options) => {
      // wx.request takes `header` and a string or object `data`; it answers `statusCode` and `data`
      // (parsed only when dataType is 'json').
      if (options.method !== 'POST' || typeof options.data !== 'string') throw new Error('unexpected request shape');
      requests.push({ url: options.url, operationName: JSON.parse(options.data).operationName });
      fetch(options.url, { method: 'POST', headers: options.header, body: options.data })
        .then(async (res) => {
          const text = await res.text();
          const data = options.dataType === 'json' ? JSON.parse(text) : text;
          options.success({ statusCode: res.status, data, header: {} });
        })
        .catch(() => options.fail({ errMsg: 'request:fail' }));
      return { abort: () => undefined };
    },
    // wx.getStorageSync answers '' for a missing key.
    getStorageSync: (key) => storage.get(key) ?? '',
    setStorageSync: (key, value) => {
      if (typeof value !== 'string') throw new Error('the SDK stores strings');
      storage.set(key, value);
    },
    removeStorageSync: (key) => {
      storage.delete(key);
    },
  };
}
