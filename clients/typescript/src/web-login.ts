import type { TokenStorage } from './storage.js';

/** The two WeChat channels that run in a browser. */
export type WebWechatChannel = 'OFFICIAL_ACCOUNT' | 'WEBSITE';

/** What the page keeps while the browser is away at WeChat (in the pending storage). */
export interface PendingWechatLogin {
  state: string;
  appId: string;
  channel: WebWechatChannel;
  redirectUri: string;
  /** started signed in: the return links WeChat to the user instead of logging in */
  link: boolean;
  expiresAt: string;
}

/** What a page address says about a return from WeChat. */
export interface WechatReturnParams {
  code: string | null;
  state: string | null;
  /** the address without `code` and `state`: put it in the address bar (history.replaceState) */
  cleanUrl: string;
}

/** Reads `code` and `state` from the address WeChat sent the browser back to. */
export function parseWechatReturn(url: string): WechatReturnParams {
  const [beforeHash, hash] = splitOnce(url, '#');
  const [path, query] = splitOnce(beforeHash, '?');
  const kept: string[] = [];
  let code: string | null = null;
  let state: string | null = null;
  for (const part of query === null ? [] : query.split('&')) {
    if (part === '') continue;
    const [rawKey, rawValue] = splitOnce(part, '=');
    const key = decode(rawKey);
    if (key === 'code') code = decode(rawValue ?? '');
    else if (key === 'state') state = decode(rawValue ?? '');
    else kept.push(part);
  }
  // Browsers carry the authorize URL's #wechat_redirect over WeChat's redirect: not the page's own.
  const keptHash = hash === null || hash === 'wechat_redirect' ? '' : `#${hash}`;
  const cleanUrl = `${path}${kept.length ? `?${kept.join('&')}` : ''}${keptHash}`;
  return { code: code || null, state: state || null, cleanUrl };
}

export function isWechatBrowser(userAgent: string): boolean {
  return /MicroMessenger/i.test(userAgent);
}

/** The pending login under one storage key: one at a time per storage (per tab with sessionStorage). */
export class PendingWechatLogins {
  constructor(
    private readonly storage: TokenStorage,
    private readonly key: string,
  ) {}

  async save(pending: PendingWechatLogin): Promise<void> {
    await this.storage.set(this.key, JSON.stringify(pending));
  }

  async load(): Promise<PendingWechatLogin | null> {
    const raw = await this.storage.get(this.key);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as PendingWechatLogin;
    } catch {
      return null;
    }
  }

  async clear(): Promise<void> {
    await this.storage.remove(this.key);
  }
}

function splitOnce(text: string, separator: string): [string, string | null] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, null] : [text.slice(0, at), text.slice(at + 1)];
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
