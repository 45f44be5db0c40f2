// What WeChat's message server would POST to an app's server URL: the follow-login scan events and the
// authorization-change events, signed with the app's Token and, in safe mode, encrypted with its
// EncodingAESKey. Written here from WeChat's description with Node's crypto, independently of the
// service's receiver (which uses @wecom/crypto), so that each checks the other.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { FakeInputError, openidFor } from './fake-wechat.http';
import type { FakeWechatState } from './fake-wechat.state';
import type { AppRecord } from './fake-wechat.types';

/** What the sandbox hands back: the query string and the XML body to POST to /providers/wechat/events/<appid>. */
export interface PushedRequest {
  query: string;
  body: string;
}

// The events /sandbox/wechat/event produces: the authorization changes, and ordinary official-account
// events that a login service has no use for.
export const PUSHABLE_EVENTS = [
  'user_authorization_revoke',
  'user_authorization_cancellation',
  'user_info_modified',
  'unsubscribe',
  'CLICK',
  'VIEW',
] as const;
export type PushableEvent = (typeof PUSHABLE_EVENTS)[number];

export class MessagePush {
  constructor(private readonly state: FakeWechatState) {}

  /** The person scanned a parametric QR code: `subscribe` the first time, `SCAN` once following. */
  scanFollow(ticket: string, label: string): PushedRequest & { appid: string } {
    const record = this.state.qrTickets.get(ticket);
    if (!record) throw new FakeInputError('unknown ticket');
    if (record.expiresAt <= this.state.now()) throw new FakeInputError('ticket expired');
    const app = this.pushingApp(record.appid);
    const person = this.state.person(label);
    const key = `${app.appId} ${person.label}`;
    const following = this.state.followers.has(key);
    this.state.followers.add(key);
    const fields: [string, string | number][] = [
      ['Event', following ? 'SCAN' : 'subscribe'],
      ['EventKey', following ? record.scene : `qrscene_${record.scene}`],
      ['Ticket', ticket],
    ];
    return { appid: app.appId, ...this.push(app, person.label, fields) };
  }

  /** Another event of the person at the app (authorization changes, menu clicks, unfollowing). */
  event(appid: string, label: string, event: PushableEvent, eventKey?: string): PushedRequest {
    const app = this.pushingApp(appid);
    const person = this.state.person(label);
    const openid = openidFor(app.appId, person.label);
    const unionid = this.state.unionidFor(app.appId, person.label);
    const fields: [string, string | number][] = [['Event', event]];
    if (event.startsWith('user_')) {
      fields.push(['OpenID', openid], ['AppID', app.appId]);
      if (unionid) fields.push(['UnionID', unionid]);
      if (event === 'user_authorization_revoke') fields.push(['RevokeInfo', '301']);
      fields.push(['PluginID', ''], ['OpenPID', '']);
    } else if (event === 'CLICK' || event === 'VIEW') {
      fields.push(['EventKey', eventKey ?? (event === 'VIEW' ? 'https://example.com/' : 'MENU_1')]);
    } else if (event === 'unsubscribe') {
      this.state.followers.delete(`${app.appId} ${person.label}`);
    }
    return this.push(app, person.label, fields);
  }

  private push(app: AppRecord, label: string, fields: [string, string | number][]): PushedRequest {
    const openid = openidFor(app.appId, label);
    const xml = toXml([
      ['ToUserName', originalIdOf(app.appId)],
      ['FromUserName', openid],
      ['CreateTime', Math.floor(this.state.now() / 1000)],
      ['MsgType', 'event'],
      ...fields,
    ]);
    const timestamp = String(Math.floor(this.state.now() / 1000));
    const nonce = String(randomBytes(4).readUInt32BE(0));
    const token = app.messageToken!;
    const query = new URLSearchParams({ signature: sha1Sorted([token, timestamp, nonce]), timestamp, nonce, openid });
    if (!app.encodingAesKey) return { query: query.toString(), body: xml };
    const encrypt = seal(app.encodingAesKey, xml, app.appId);
    query.set('encrypt_type', 'aes');
    query.set('msg_signature', sha1Sorted([token, timestamp, nonce, encrypt]));
    return {
      query: query.toString(),
      body: toXml([
        ['ToUserName', originalIdOf(app.appId)],
        ['Encrypt', encrypt],
      ]),
    };
  }

  private pushingApp(appid: string): AppRecord {
    const app = this.state.app(appid);
    if (!app) throw new FakeInputError('unknown appid');
    if (!app.messageToken) throw new FakeInputError('the app has no message server configured');
    return app;
  }
}

/** The official account's original id (gh_...), which WeChat puts in ToUserName. */
function originalIdOf(appid: string): string {
  return `gh_${createHash('sha256').update(appid).digest('hex').slice(0, 12)}`;
}

function sha1Sorted(parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** random(16) + length(4, big-endian) + XML + AppID, PKCS#7-padded to 32 bytes, AES-256-CBC, IV = key[0..16). */
function seal(encodingAesKey: string, xml: string, appid: string): string {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const message = Buffer.from(xml, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const plain = Buffer.concat([randomBytes(16), length, message, Buffer.from(appid, 'utf8')]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
    'base64',
  );
}

function toXml(fields: [string, string | number][]): string {
  const inner = fields
    .map(([name, value]) =>
      typeof value === 'number' ? `<${name}>${value}</${name}>` : `<${name}><![CDATA[${value}]]></${name}>`,
    )
    .join('');
  return `<xml>${inner}</xml>`;
}
