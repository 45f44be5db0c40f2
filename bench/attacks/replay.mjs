#!/usr/bin/env node
// Attack scenario: a replayed web redirect URL (issue "Hardening 2", case 1).
//   npm run build && node bench/attacks/replay.mjs [--victims 20]
// The victims log in on the official-account channel as docs/channels.md says (a deviceId kept by the
// page); the attacker holds their redirect URLs (?code=…&state=…: browser history, logs, Referer) and
// replays each within the 10 minutes: without a deviceId, with its own, and before the victim used it.
// Also a page that leaves deviceId out, and a native code replayed without a device. Prints what the
// attacker got (sessions, bind tickets) and what the victims got.
import { parseArgs } from 'node:util';
import { attackStack, gql, hex, log, postJson, run } from './attack-kit.mjs';

const { values: a } = parseArgs({ options: { victims: { type: 'string', default: '20' } } });
const VICTIMS = Number(a.victims);
const OA = { channel: 'official_account', id: `wxoa${hex(7)}`, secret: hex(16) };
const APP = { channel: 'app', id: `wxap${hex(7)}`, secret: hex(16) };
const REDIRECT = 'https://m.example.com/login/wechat';

const START = `mutation S($channel: WechatChannel, $redirectUri: String, $deviceId: String, $appId: String) {
  startWechatLogin(channel: $channel, redirectUri: $redirectUri, deviceId: $deviceId, appId: $appId) { state authorizeUrl } }`;
const LOGIN = `mutation L($input: WechatLoginInput!) { wechatLogin(input: $input) { isBind bindTicket session { accessToken user { id } } } }`;
const SEND = 'mutation C($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }';
const BIND = 'mutation B($input: BindPhoneInput!) { bindPhone(input: $input) { accessToken user { id } } }';
const ME = '{ me { id } }';

const { stack, sms, service } = await attackStack('attack-replay');
const fake = await stack.fakeWechat([OA, APP].map((a) => ({ id: `${a.channel}:${a.id}`, secret: a.secret })));
const api = await service({
  WECHAT_APPS: [OA, APP].map((a) => `${a.channel}:${a.id}:${a.secret}`).join(','),
  WECHAT_API_BASE: fake.httpsUrl, WECHAT_OPEN_BASE: fake.httpsUrl, NODE_EXTRA_CA_CERTS: fake.caFile,
  WECHAT_REDIRECT_URIS: `${OA.id}=https://m.example.com/login/*`,
  TRUST_PROXY: '127.0.0.1',
});
// One GraphQL call as client `ip` (TRUST_PROXY: the address comes from X-Forwarded-For).
const call = async (query, variables, { ip, token }) => {
  const res = await gql(api.url, query, variables, { 'x-forwarded-for': ip, ...(token ? { authorization: `Bearer ${token}` } : {}) });
  return { ...res, data: res.data ?? null, code: res.code ?? null };
};
const s = { gql: (q, v = {}, o = { ip: '203.0.113.1' }) => call(q, v, o), control: (path, body) => postJson(`${fake.url}${path}`, body), sms };
const tally = {
  'victim logins (first + returning)': 0,
  'attacker sessions': 0,
  'attacker bind tickets': 0,
  'replays refused': {},
  'victim sessions ended by a replay': 0,
  'pages without deviceId refused': 0,
  'native replays refused': 0,
};
const refused = (code) => { tally['replays refused'][code] = (tally['replays refused'][code] ?? 0) + 1; };
const attackerGot = (res) => {
  if (res.data?.wechatLogin?.session) tally['attacker sessions']++;
  else if (res.data?.wechatLogin?.bindTicket) tally['attacker bind tickets']++;
  else refused(res.code);
};

/** The victim's browser: start, approve on WeChat's page, come back with code and state. */
async function redirectUrl(person, deviceId) {
  const started = await s.gql(START, { channel: 'OFFICIAL_ACCOUNT', redirectUri: REDIRECT, deviceId }, { ip: '198.51.100.7' });
  if (!started.data) throw new Error(`start: ${started.code}`);
  const { state } = started.data.startWechatLogin;
  const { code } = await s.control('/authorize', { appid: OA.id, state, person });
  return { code, state };
}

await run(stack, async () => {
  const t0 = performance.now();
  for (let i = 0; i < VICTIMS; i++) {
    const person = `victim-${i}`;
    const deviceId = `browser-${hex(8)}`;
    const victimIp = { ip: `198.51.100.${10 + (i % 200)}` };
    const attackerIp = { ip: `203.0.113.${10 + (i % 200)}` };

    // First login: the victim gets a bind ticket; the attacker replays the URL.
    const first = await redirectUrl(person, deviceId);
    const own = await s.gql(LOGIN, { input: { ...first, deviceId, platform: 'WEB' } }, victimIp);
    if (!own.data?.wechatLogin.bindTicket) throw new Error(`victim first login: ${own.code}`);
    attackerGot(await s.gql(LOGIN, { input: { ...first, platform: 'WEB' } }, attackerIp));
    attackerGot(await s.gql(LOGIN, { input: { ...first, deviceId: 'attacker', platform: 'WEB' } }, attackerIp));
    // The victim binds a phone with the ticket it was given.
    const phone = `+86139${String(10000000 + i * 7919).slice(-8)}`;
    const sent = await s.gql(SEND, { input: { phone, purpose: 'BIND_PHONE', bindTicket: own.data.wechatLogin.bindTicket, deviceId } }, victimIp);
    if (!sent.data) throw new Error(`send: ${sent.code}`);
    const bound = await s.gql(BIND, { input: { bindTicket: own.data.wechatLogin.bindTicket, phone, smsCode: await s.sms.take(phone), deviceId } }, victimIp);
    if (!bound.data) throw new Error(`bind: ${bound.code}`);
    tally['victim logins (first + returning)']++;

    // Returning login: a session; the replay without a device gets nothing, and the session ends.
    const back = await redirectUrl(person, deviceId);
    const returning = await s.gql(LOGIN, { input: { ...back, deviceId, platform: 'WEB' } }, victimIp);
    if (!returning.data?.wechatLogin.session) throw new Error(`victim returning login: ${returning.code}`);
    tally['victim logins (first + returning)']++;
    attackerGot(await s.gql(LOGIN, { input: { ...back, platform: 'WEB' } }, attackerIp));
    const me = await s.gql(ME, {}, { ...victimIp, token: returning.data.wechatLogin.session.accessToken });
    if (me.code === 'UNAUTHENTICATED') tally['victim sessions ended by a replay']++;

    // The attacker races the victim: the state belongs to the victim's browser.
    const raced = await redirectUrl(person, deviceId);
    attackerGot(await s.gql(LOGIN, { input: { ...raced, platform: 'WEB' } }, attackerIp));
    const late = await s.gql(LOGIN, { input: { ...raced, deviceId, platform: 'WEB' } }, victimIp);
    if (late.data?.wechatLogin.session) tally['victim logins (first + returning)']++;

    // A page that leaves deviceId out cannot start.
    const bare = await s.gql(START, { channel: 'OFFICIAL_ACCOUNT', redirectUri: REDIRECT }, victimIp);
    if (bare.code === 'BAD_USER_INPUT') tally['pages without deviceId refused']++;

    // A native app's code sent without a device, then replayed.
    const native = await s.gql(START, { appId: APP.id }, victimIp);
    const nativeState = native.data.startWechatLogin.state;
    const { code } = await s.control('/authorize', { appid: APP.id, state: nativeState, person: `native-${i}` });
    await s.gql(LOGIN, { input: { code, state: nativeState, platform: 'ANDROID' } }, victimIp);
    const replay = await s.gql(LOGIN, { input: { code, state: nativeState, platform: 'ANDROID' } }, attackerIp);
    if (!replay.data) tally['native replays refused']++;
    else attackerGot(replay);
  }
  const seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  const attackerGain = tally['attacker sessions'] + tally['attacker bind tickets'];
  if (attackerGain > 0) process.exitCode = 1;
  return { scenario: 'replayed web redirect URLs', victims: VICTIMS, seconds, ...tally };
});
