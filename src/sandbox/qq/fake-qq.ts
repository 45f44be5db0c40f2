import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FakeClock,
  FakeInputError,
  FakeProviderServer,
  Json,
  optionalString,
  readBody,
  sendJson,
  sendText,
} from '../fake-kit';
import { ERRORS, errorText, hex, openIdFor, profileOf, qqError, unionIdFor } from './fake-qq.answers';

/**
 * A fake of QQ Connect (graph.qq.com), faithful to shared/providers-api.md part 3 and QQ互联's
 * OAuth2.0 pages: the browser's /oauth2.0/authorize (302 back with code and state), /oauth2.0/token
 * (single-use codes, 10 minutes; reuse is error 100020), /oauth2.0/me (client_id, openid and, with
 * unionid=1, the unionid) and /user/get_user_info (ret/msg). QQ answers HTTP 200 with an error body;
 * without fmt=json /me and errors come as JSONP `callback( … );` and the token as a query string.
 * openid is per app, unionid per person across the developer's apps. In memory; under /sandbox/qq
 * in sandbox mode, or alone (main.ts).
 */

export const QQ_FAKE_ENDPOINTS = ['authorize', 'token', 'me', 'userinfo'] as const;

export interface FakeQqApp {
  appId: string;
  /** The AppKey: the client_secret of /oauth2.0/token. */
  appKey: string;
  /** Hosts a redirect_uri must be under (QQ's registered callback domain); any when absent. */
  redirectDomains?: readonly string[];
}

export interface FakeQqOptions {
  apps: readonly FakeQqApp[];
  now?: () => number;
}

/** Sandbox credentials for the fake and the client specs (never real ones). */
export const SANDBOX_QQ = {
  apps: [
    { appId: '101000001', appKey: 'sandboxQqAppKey0000000000000001', redirectDomains: ['localhost', '127.0.0.1'] },
    { appId: '101000002', appKey: 'sandboxQqAppKey0000000000000002', redirectDomains: ['localhost', '127.0.0.1'] },
  ],
} as const;

const CODE_TTL_SECONDS = 600;
// QQ's access tokens live 90 days; expires_in comes as a string.
const TOKEN_TTL_SECONDS = 7_776_000;

interface CodeRecord {
  person: string;
  appId: string;
  redirectUri?: string;
  expiresAt: number;
  used: boolean;
}

interface Grant {
  person: string;
  appId: string;
  expiresAt: number;
}

export class FakeQqServer extends FakeProviderServer {
  private readonly apps: Map<string, FakeQqApp>;
  private readonly codes = new Map<string, CodeRecord>();
  private readonly tokens = new Map<string, Grant>();

  constructor(options: FakeQqOptions) {
    super(new FakeClock(options.now), QQ_FAKE_ENDPOINTS);
    if (options.apps.length === 0) throw new Error('the QQ fake needs at least one app');
    this.apps = new Map(options.apps.map((app) => [app.appId, app]));
  }

  /**
   * The person signed in with QQ: the SDK's access token on a phone and, with `state` (the web
   * flow, after the browser went to /oauth2.0/authorize), also the code for the redirect.
   */
  authorize(input: { person?: string; state?: string; appId?: string; redirectUri?: string }): {
    accessToken: string;
    openid: string;
    unionid: string;
    code?: string;
  } {
    const appId = input.appId ?? this.apps.keys().next().value!;
    if (!this.apps.has(appId)) throw new FakeInputError('appId is not one of the fake QQ apps');
    const person = input.person ?? `anonymous-${randomBytes(6).toString('hex')}`;
    const answer: { accessToken: string; openid: string; unionid: string; code?: string } = {
      accessToken: this.grant(person, appId),
      openid: openIdFor(appId, person),
      unionid: unionIdFor(person),
    };
    if (input.state !== undefined) answer.code = this.issueCode(person, appId, input.redirectUri);
    return answer;
  }

  override reset(): void {
    super.reset();
    this.codes.clear();
    this.tokens.clear();
  }

  protected async api(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
    const endpoint = ENDPOINT_OF[path];
    if (!endpoint) return false;
    this.record(path);
    const query = url.searchParams;
    const json = endpoint !== 'userinfo' && query.get('fmt') === 'json';
    const { applied, fault } = await this.applyFault(endpoint, res, (f) => ({
      status: 200,
      body:
        endpoint === 'userinfo'
          ? JSON.stringify({ ret: Number(f.error), msg: ERRORS[Number(f.error)] ?? 'error' })
          : errorText(Number(f.error), json),
    }));
    if (applied) {
      if (endpoint === 'token' && (fault?.drop || fault?.malformed)) this.consume(query.get('code'));
      return true;
    }
    // QQ documents GET; a form POST is taken too.
    const params = req.method === 'POST' ? { ...Object.fromEntries(query), ...(await readBody(req)) } : query;
    const get = (key: string): string | undefined => {
      const value = params instanceof URLSearchParams ? params.get(key) : params[key];
      return typeof value === 'string' ? value : undefined;
    };
    if (endpoint === 'authorize') return this.authorizePage(res, get);
    if (endpoint === 'token') return this.answer(res, this.token(get), json);
    if (endpoint === 'me') return this.answer(res, this.me(get), json);
    sendText(res, 200, JSON.stringify(this.userInfo(get)), 'text/html; charset=utf-8');
    return true;
  }

  protected async userSide(req: IncomingMessage, res: ServerResponse, route: string): Promise<boolean> {
    if (route !== 'POST /authorize') return false;
    const body = await readBody(req);
    const redirectUri = optionalString(body, 'redirectUri');
    if (redirectUri !== undefined && !this.redirectAllowed(this.appOf(body), redirectUri)) {
      throw new FakeInputError("redirectUri is not under the app's registered domain");
    }
    sendJson(
      res,
      200,
      this.authorize({
        person: optionalString(body, 'person'),
        state: optionalString(body, 'state'),
        appId: optionalString(body, 'appId'),
        redirectUri,
      }),
    );
    return true;
  }

  // The browser's page: the person approves at once and is sent back with the code.
  private authorizePage(res: ServerResponse, get: (key: string) => string | undefined): true {
    const app = this.apps.get(get('client_id') ?? '');
    const redirectUri = get('redirect_uri') ?? '';
    let error: number | undefined;
    if (get('response_type') !== 'code') error = 100000;
    else if (!app) error = 100008;
    else if (!this.redirectAllowed(app, redirectUri)) error = 100010;
    if (error !== undefined || !app) {
      sendText(res, 200, `<html><body>error=${error}: ${ERRORS[error!]}</body></html>`, 'text/html; charset=utf-8');
      return true;
    }
    const person = get('person') ?? `anonymous-${randomBytes(6).toString('hex')}`;
    const target = new URL(redirectUri);
    target.searchParams.set('code', this.issueCode(person, app.appId, redirectUri));
    const state = get('state');
    if (state !== undefined) target.searchParams.set('state', state);
    res.statusCode = 302;
    res.setHeader('Location', target.toString());
    res.end();
    return true;
  }

  private token(get: (key: string) => string | undefined): Json {
    if (get('grant_type') !== 'authorization_code') return qqError(100004);
    const app = this.apps.get(get('client_id') ?? '');
    if (!app) return qqError(100008);
    if (get('client_secret') !== app.appKey) return qqError(100009);
    const code = get('code');
    if (!code) return qqError(100005);
    const redirectUri = get('redirect_uri') ?? '';
    if (!this.redirectAllowed(app, redirectUri)) return qqError(100010);
    const record = this.codes.get(code);
    if (!record || record.appId !== app.appId || record.expiresAt <= this.clock.now()) return qqError(100019);
    if (record.used) return qqError(100020);
    record.used = true;
    if (record.redirectUri !== undefined && record.redirectUri !== redirectUri) return qqError(100019);
    return {
      access_token: this.grant(record.person, app.appId),
      expires_in: String(TOKEN_TTL_SECONDS),
      refresh_token: hex(16),
    };
  }

  private me(get: (key: string) => string | undefined): Json {
    const grant = this.validGrant(get('access_token'));
    if (!grant) return qqError(100016);
    const answer: Json = { client_id: grant.appId, openid: openIdFor(grant.appId, grant.person) };
    if (get('unionid') === '1') answer.unionid = unionIdFor(grant.person);
    return answer;
  }

  private userInfo(get: (key: string) => string | undefined): Json {
    const grant = this.validGrant(get('access_token'));
    if (!grant) return { ret: 100016, msg: ERRORS[100016] };
    if (get('oauth_consumer_key') !== grant.appId || get('openid') !== openIdFor(grant.appId, grant.person)) {
      return { ret: -1, msg: "client request's parameters are invalid, invalid openid" };
    }
    return profileOf(openIdFor(grant.appId, grant.person), unionIdFor(grant.person));
  }

  private answer(res: ServerResponse, body: Json, json: boolean): true {
    let text: string;
    if (json) text = JSON.stringify(body);
    else if (body.error !== undefined) text = errorText(body.error as number, false);
    else if (body.access_token !== undefined) text = new URLSearchParams(body as Record<string, string>).toString();
    else text = `callback( ${JSON.stringify(body)} );\n`;
    sendText(res, 200, text, 'text/html; charset=utf-8');
    return true;
  }

  private grant(person: string, appId: string): string {
    const token = hex(16);
    this.tokens.set(token, { person, appId, expiresAt: this.clock.now() + TOKEN_TTL_SECONDS * 1000 });
    return token;
  }

  private validGrant(token: string | undefined): Grant | undefined {
    const grant = token ? this.tokens.get(token) : undefined;
    return grant && grant.expiresAt > this.clock.now() ? grant : undefined;
  }

  private issueCode(person: string, appId: string, redirectUri?: string): string {
    const code = hex(16);
    this.codes.set(code, {
      person,
      appId,
      redirectUri,
      expiresAt: this.clock.now() + CODE_TTL_SECONDS * 1000,
      used: false,
    });
    return code;
  }

  private consume(code: string | null): void {
    const record = code ? this.codes.get(code) : undefined;
    if (record) record.used = true;
  }

  private appOf(body: Json): FakeQqApp {
    const appId = optionalString(body, 'appId');
    return (appId && this.apps.get(appId)) || this.apps.values().next().value!;
  }

  private redirectAllowed(app: FakeQqApp, redirectUri: string): boolean {
    let url: URL;
    try {
      url = new URL(redirectUri);
    } catch {
      return false;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
    const domains = app.redirectDomains;
    if (!domains || domains.length === 0) return true;
    return domains.some((domain) => url.hostname === domain || url.hostname.endsWith(`.${domain}`));
  }
}

const ENDPOINT_OF: Record<string, (typeof QQ_FAKE_ENDPOINTS)[number]> = {
  '/oauth2.0/authorize': 'authorize',
  '/oauth2.0/token': 'token',
  '/oauth2.0/me': 'me',
  '/user/get_user_info': 'userinfo',
};
