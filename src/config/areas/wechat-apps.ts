// WeChat apps as the configuration gives them, and the sandbox's own apps (served by its fake WeChat).

export type WechatChannelName = 'app' | 'mini_program' | 'official_account' | 'website';
export const WECHAT_CHANNEL_NAMES: readonly WechatChannelName[] = [
  'app',
  'mini_program',
  'official_account',
  'website',
];

export interface WechatAppCredentials {
  appId: string;
  secret: string;
  /** Which WeChat channel the app serves; fixes the channel of every identity that comes through it. */
  channel: WechatChannelName;
  /** Web channels: where WeChat may send the browser back (exact URLs, or prefixes ending in `*`). */
  redirectUris: string[];
  /** Official accounts and mini programs: the message server (events pushed to /providers/wechat/events/:appId). */
  messageServer?: WechatMessageServer | null;
  /** A verified service account (official_account): may create parametric QR codes (follow login). */
  verifiedServiceAccount?: boolean;
}

export interface WechatMessageServer {
  /** The Token set on WeChat's message-server page (3 to 32 letters or digits): it signs every push. */
  token: string;
  /** The 43-character EncodingAESKey: set, the app uses safe mode (encrypted pushes) and only that. */
  encodingAesKey: string | null;
}

export const SANDBOX_WECHAT_APP: WechatAppCredentials = {
  appId: 'wxsandbox00000001',
  secret: 'sandboxappsecret0000000000000001',
  channel: 'app',
  redirectUris: [],
};

// Sandbox web apps accept any port and path on these hosts.
export const SANDBOX_REDIRECT_URIS = ['http://localhost:*/*', 'http://127.0.0.1:*/*'];

/**
 * The zero-config sandbox: one app per channel, all bound to one Open Platform account (shared
 * unionid), plus one app bound to none (openid only) to exercise a unionid that arrives late.
 */
export const SANDBOX_WECHAT_APPS: WechatAppCredentials[] = [
  SANDBOX_WECHAT_APP,
  {
    appId: 'wxsandboxmini0001',
    secret: 'sandboxappsecret0000000000000002',
    channel: 'mini_program',
    redirectUris: [],
    // Plaintext mode: pushes signed, not encrypted.
    messageServer: { token: 'sandboxmsgtoken0002', encodingAesKey: null },
  },
  {
    appId: 'wxsandboxoffi0001',
    secret: 'sandboxappsecret0000000000000003',
    channel: 'official_account',
    redirectUris: SANDBOX_REDIRECT_URIS,
    // Safe mode, and follow login (a verified service account).
    messageServer: {
      token: 'sandboxmsgtoken0003',
      encodingAesKey: 'c2FuZGJveG9mZmljaWFsYWNjb3VudGFlc2tleTAwMDA',
    },
    verifiedServiceAccount: true,
  },
  {
    appId: 'wxsandboxweb00001',
    secret: 'sandboxappsecret0000000000000004',
    channel: 'website',
    redirectUris: SANDBOX_REDIRECT_URIS,
  },
  { appId: 'wxsandboxnoop0001', secret: 'sandboxappsecret0000000000000005', channel: 'mini_program', redirectUris: [] },
];
/** The sandbox app that is not bound to the Open Platform (the fake gives it no unionid). */
export const SANDBOX_UNBOUND_APP_ID = 'wxsandboxnoop0001';
